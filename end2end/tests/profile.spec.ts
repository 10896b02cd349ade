import { test, expect, type Page } from "@playwright/test";
import { PARIS, TOKYO, marker, newPlayer, openPopup } from "./helpers";

function profile(page: Page) {
  return page.getByRole("region", { name: "Profile" });
}

function stat(page: Page, label: string) {
  return profile(page).locator("dl.stats div").filter({ hasText: label }).locator("dd");
}

test("a profile from a marker says hi, and counts what was said", async ({ browser }) => {
  // Ben first: Ana's map then frames both homes (the map holds the markers of its view only).
  const ben = await newPlayer(browser, TOKYO, "ben");
  const ana = await newPlayer(browser, PARIS, "ana");
  const errors: string[] = [];
  ana.page.on("pageerror", (error) => errors.push(error.message));
  try {
    // Ben's marker, then the name in its popup: Ben's profile.
    await expect(marker(ana.page, ben.name)).toBeAttached();
    await openPopup(marker(ana.page, ben.name));
    const popup = ana.page.locator(".leaflet-popup-content").filter({ hasText: ben.name });
    await popup.getByRole("link", { name: ben.name }).click();
    await ana.page.waitForURL(new RegExp(`/players/${ben.handle}$`));
    await expect(profile(ana.page).getByRole("heading", { name: ben.name })).toBeVisible();
    await expect(profile(ana.page)).toContainText(`@${ben.handle}`);
    await expect(profile(ana.page)).toContainText("Japan");
    await expect(stat(ana.page, "Messages sent")).toHaveText("0");

    // "Say hi" opens a new chat with Ben.
    await profile(ana.page).getByRole("button", { name: "Say hi" }).click();
    await ana.page.waitForURL(/\/chats\/\d+$/);
    const chatUrl = ana.page.url();
    // Typed before the page hydrates, the text would be reset: wait until it is live.
    await expect(ana.page.getByRole("status", { name: "Connection" })).toHaveText("Live");
    const composer = ana.page.getByRole("form", { name: "Send a message" });
    await composer.getByLabel("Message").fill("bonjour de Paris");
    await composer.getByRole("button", { name: "Send" }).click();
    await expect(ana.page.locator("li.message:not(.pending)").filter({ hasText: "bonjour de Paris" })).toBeVisible();

    // Ben sees Ana's profile count it, and finds the chat from there (routing in the page:
    // the link in the conversation's heading).
    await ben.page.goto(`/players/${ana.handle}`);
    await expect(stat(ben.page, "Messages sent")).toHaveText("1");
    await expect(stat(ben.page, "Players talked to")).toHaveText("1");
    await expect(stat(ben.page, "Countries talked to")).toHaveText("1");
    await profile(ben.page).getByRole("link", { name: "Open your chat" }).click();
    await ben.page.waitForURL(chatUrl);
    await expect(ben.page.locator("li.message").filter({ hasText: "bonjour de Paris" })).toBeVisible();
    await ben.page.getByRole("heading", { name: ana.name }).getByRole("link").click();
    await ben.page.waitForURL(new RegExp(`/players/${ana.handle}$`));
    await expect(profile(ben.page).getByRole("heading", { name: ana.name })).toBeVisible();
    await expect(stat(ben.page, "Messages sent")).toHaveText("1");

    // Ana's own profile offers no chat with herself.
    await ana.page.goto(`/players/${ana.handle}`);
    await expect(profile(ana.page)).toContainText("(you)");
    await expect(profile(ana.page).getByRole("button", { name: "Say hi" })).toHaveCount(0);
    expect(errors).toEqual([]);
  } finally {
    await ana.context.close();
    await ben.context.close();
  }
});
