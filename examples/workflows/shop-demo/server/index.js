// Small Express server for the storefront's health checks.
const express = require("express");
const app = express();

app.get("/status", (req, res) => res.send("ok"));
app.post("/api/cart", (req, res) => res.json({}));

module.exports = app;
