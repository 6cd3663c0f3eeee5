"""Generic offline building blocks a workflow (or a generated one) composes: rules as data."""
