import { OpenFeature } from "@openfeature/server-sdk";
import * as ld from "@launchdarkly/node-server-sdk";

const client = OpenFeature.getClient();
const ldClient = ld.init(process.env.LD_SDK_KEY ?? "");

export async function checkoutPage(cart: Cart): Promise<string> {
  const useNewCheckout = await client.getBooleanValue("new_checkout", false);
  if (useNewCheckout) {
    return renderNew(cart);
  } else {
    return renderLegacy(cart);
  }
}

export async function theme(user: ld.LDContext): Promise<string> {
  const holiday = await ldClient.variation("holiday-theme", user, false);
  return holiday ? "snow" : "plain";
}

export async function darkMode(): Promise<boolean> {
  return client.getBooleanValue("dark_mode", false);
}

function renderNew(cart: Cart): string {
  return `new:${cart.id}`;
}

function renderLegacy(cart: Cart): string {
  return `legacy:${cart.id}`;
}

interface Cart {
  id: string;
}
