from swath.workspace.workspace import PathRefused, Workspace

__all__ = ["PathRefused", "Workspace"]
