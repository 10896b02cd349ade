import { type Locator, type Page } from "@playwright/test";

export const PASSWORD = "correct horse battery";

/** A handle no other test run has used: 3–24 of a-z 0-9 _ -. */
export function uniqueHandle(prefix: string): string {
  const suffix = Date.now().toString(36).slice(-5) + Math.random().toString(36).slice(2, 6);
  return `${prefix}_${suffix}`.slice(0, 24);
}

export const PARIS = { latitude: 48.8606, longitude: 2.3376 };
export const TOKYO = { latitude: 35.6895, longitude: 139.6917 };

/** Signs up through the form, as a player would. */
export async function signUp(page: Page, handle: string, name: string) {
  await page.goto("/signup");
  const form = page.getByRole("form", { name: "Sign up" });
  await form.getByLabel("Handle").fill(handle);
  await form.getByLabel("Display name").fill(name);
  await form.getByLabel("Password").fill(PASSWORD);
  await form.getByRole("button", { name: "Sign up" }).click();
}

export async function signIn(page: Page, handle: string) {
  await page.goto("/signin");
  const form = page.getByRole("form", { name: "Sign in" });
  await form.getByLabel("Handle").fill(handle);
  await form.getByLabel("Password").fill(PASSWORD);
  await form.getByRole("button", { name: "Sign in" }).click();
}

/** The marker of a player on the map (Leaflet gives keyboard markers the button role). */
export function marker(page: Page, title: string) {
  return page.getByRole("region", { name: "World map" }).getByRole("button", { name: title, exact: true });
}

/**
 * Opens a marker's popup from the keyboard, as Leaflet allows: markers of players from the
 * same city share a spot, so a pointer click could land on another.
 */
export async function openPopup(marker: Locator) {
  await marker.focus();
  await marker.press("Enter");
}
