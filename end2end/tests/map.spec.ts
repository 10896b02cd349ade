import { expect, test } from "@playwright/test";
import { PARIS, TOKYO, newPlayer } from "./helpers";

test("the place search flies to a place and lists its players", async ({ browser }) => {
  const kenji = await newPlayer(browser, TOKYO, "kenji");
  const amelie = await newPlayer(browser, PARIS, "amelie");
  const a = amelie.page;
  try {
    await expect(a.getByRole("status", { name: "Connection" })).toHaveText("Live");
    const search = a.getByRole("search", { name: "Find a place" });
    await search.getByRole("searchbox").fill("Japa");
    await search.getByRole("button", { name: /^Japan\s*country$/ }).click();
    const there = a.getByRole("region", { name: "Players from Japan" });
    await expect(there).toContainText(kenji.name);
    await expect(there.getByRole("button", { name: "Say hi" }).first()).toBeVisible();

    await search.getByRole("searchbox").fill("Tokyo");
    await search.getByRole("button", { name: /^Tokyo, Japan\s*city$/ }).click();
    await expect(a.getByRole("region", { name: "Players from Tokyo, Japan" })).toContainText(kenji.name);
    await expect(search.getByRole("list", { name: "Places" }).getByRole("button")).toHaveCount(0);
  } finally {
    await kenji.context.close();
    await amelie.context.close();
  }
});
