// The storefront's calls to the API.
const API_BASE = process.env.API_BASE || "";

export async function listOrders() {
  return (await fetch(`${API_BASE}/api/orders`)).json();
}

export async function getOrder(id) {
  return (await fetch(`/api/orders/${id}`)).json();
}

export async function addToCart(item) {
  return axios.post("/api/cart", item);
}
