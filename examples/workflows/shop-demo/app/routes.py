"""HTTP routes of the shop API (Flask)."""

from flask import Flask

app = Flask(__name__)


@app.route("/api/orders")
def list_orders():
    return []


@app.get("/api/orders/<order_id>")
def get_order(order_id):
    return {"id": order_id}


@app.post("/api/refunds")
def create_refund():
    return {}
