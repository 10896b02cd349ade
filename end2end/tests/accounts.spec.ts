import { expect, test } from "@playwright/test";
import { PARIS, TOKYO, marker, openPopup, signIn, signUp, uniqueHandle } from "./helpers";

test.describe("a new player", () => {
  test.use({ geolocation: PARIS, permissions: ["geolocation"] });

  test("signs up, is placed at their city, signs out and in again @smoke", async ({ page }) => {
    const handle = uniqueHandle("paris");
    const name = `Amélie ${handle.slice(-4)}`;
    await signUp(page, handle, name);

    // The browser's position becomes the home; the page returns to the map.
    await expect(page).toHaveURL(/\/$/);
    await expect(page.getByTestId("signed-in-as")).toHaveText(name);
    await expect(page.getByRole("link", { name: "Paris, Île-de-France, France" })).toBeVisible();

    const mine = marker(page, `${name} (you)`);
    await expect(mine).toBeVisible();
    await expect(mine).toHaveClass(/marker-me/);
    await openPopup(mine);
    const popup = page.locator(".leaflet-popup-content");
    await expect(popup).toContainText(name);
    await expect(popup).toContainText("Paris, France");

    await page.getByRole("button", { name: "Sign out" }).click();
    await expect(page.getByRole("navigation", { name: "Account" }).getByRole("link", { name: "Sign in" })).toBeVisible();
    await expect(page.getByTestId("signed-in-as")).toHaveCount(0);

    await signIn(page, handle);
    await expect(page).toHaveURL(/\/$/);
    await expect(marker(page, `${name} (you)`)).toBeVisible();
  });

  test("sees a player from another browser after a reload", async ({ page, browser }) => {
    const first = uniqueHandle("first");
    await signUp(page, first, `First ${first.slice(-4)}`);
    await expect(marker(page, `First ${first.slice(-4)} (you)`)).toBeVisible();

    const other = await browser.newContext({ geolocation: TOKYO, permissions: ["geolocation"] });
    const otherPage = await other.newPage();
    const second = uniqueHandle("second");
    const secondName = `Second ${second.slice(-4)}`;
    await signUp(otherPage, second, secondName);
    await expect(otherPage.getByRole("link", { name: /^Tokyo, .*Japan$/ })).toBeVisible();

    await page.reload();
    const theirs = marker(page, secondName);
    await expect(theirs).toBeVisible();
    await expect(theirs).not.toHaveClass(/marker-me/);
    await openPopup(theirs);
    await expect(page.locator(".leaflet-popup-content")).toContainText("Japan");
    await other.close();
  });
});

test("a player who denies location picks a city by search", async ({ page }) => {
  const handle = uniqueHandle("denied");
  await signUp(page, handle, "No Location");
  await expect(page).toHaveURL(/\/home$/);
  await expect(page.getByRole("status", { name: "Location" })).toContainText("denied");

  await page.getByRole("searchbox", { name: "Find your city" }).fill("Lyon");
  const choice = page.getByRole("list", { name: "Cities" }).getByRole("button", { name: /^Lyon, .*France$/ });
  await choice.click();
  await expect(page).toHaveURL(/\/$/);
  await expect(marker(page, "No Location (you)")).toBeVisible();
});

test("a wrong password says so and signs nobody in", async ({ page }) => {
  await signIn(page, uniqueHandle("ghost"));
  await expect(page.getByRole("alert")).toHaveText("Wrong handle or password.");
  await expect(page.getByTestId("signed-in-as")).toHaveCount(0);
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("sign-up works and its errors show on the page", async ({ page }) => {
    const handle = uniqueHandle("nojs");
    await signUp(page, handle, "Plain HTML");
    await expect(page).toHaveURL(/\/home$/);
    await expect(page.getByTestId("signed-in-as")).toHaveText("Plain HTML");

    // The city search works as a plain form too.
    await page.getByRole("searchbox", { name: "Find your city" }).fill("Nairobi");
    await page.getByRole("button", { name: "Search" }).click();
    await page.getByRole("button", { name: /^Nairobi, .*Kenya$/ }).click();
    await expect(page.getByRole("link", { name: /^Nairobi, .*Kenya$/ })).toBeVisible();

    await page.getByRole("button", { name: "Sign out" }).click();
    await signUp(page, handle.toUpperCase(), "Copycat");
    await expect(page).toHaveURL(/\/signup/);
    await expect(page.getByRole("alert")).toHaveText("That handle is taken.");
  });
});

test("an error about a field sits on that field", async ({ page }) => {
  const handle = uniqueHandle("taken");
  await signUp(page, handle, "First");
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.goto("/signup");
  const form = page.getByRole("form", { name: "Sign up" });
  await form.getByLabel("Handle").fill(handle);
  await form.getByLabel("Display name").fill("Second");
  await form.getByLabel("Password").fill("correct horse battery");
  await form.getByRole("button", { name: "Sign up" }).click();
  const input = form.getByLabel("Handle");
  await expect(input).toHaveAttribute("aria-invalid", "true");
  const described = (await input.getAttribute("aria-describedby")) ?? "";
  await expect(page.locator(`[id="${described}"]`)).toHaveText("That handle is taken.");
  await expect(form.getByLabel("Display name")).toHaveAttribute("aria-invalid", "false");
  // The accessible description is the message.
  await expect(input).toHaveAccessibleDescription("That handle is taken.");
});
