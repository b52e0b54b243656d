/** `report --force` replaces only a report, plots folder or FRD folder this tool wrote. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { FRD_FOLDER_OUTPUT, PLOTS_FOLDER_OUTPUT, REPORT_HTML_OUTPUT } from "../../report/export.ts";
import { reportHtml } from "../../report/html.ts";
import { withTempDir } from "../_temp.ts";

Deno.test("report outputs: --force recognizes the tool's own report, plots and FRD folders, nothing else", async () => {
  await withTempDir(async (dir) => {
    const notes = join(dir, "notes.txt");
    await Deno.writeTextFile(notes, "lab notes");
    assert.match((await REPORT_HTML_OUTPUT.problem(notes))!, /not a report this tool wrote/);
    const html = join(dir, "report.html");
    await Deno.writeTextFile(html, reportHtml("a report", "", []));
    assert.equal(await REPORT_HTML_OUTPUT.problem(html), undefined);

    const plots = join(dir, "plots");
    await Deno.mkdir(plots);
    await Deno.writeTextFile(join(plots, "a.svg"), "<svg/>");
    await Deno.writeFile(join(plots, "a.png"), new Uint8Array(8));
    assert.equal(await PLOTS_FOLDER_OUTPUT.problem(plots), undefined);
    await Deno.writeTextFile(join(plots, "notes.txt"), "x");
    assert.match((await PLOTS_FOLDER_OUTPUT.problem(plots))!, /holds "notes.txt"/);

    const frd = join(dir, "frd");
    await Deno.mkdir(frd);
    await Deno.writeTextFile(join(frd, "a.frd"), "1000 0 0\n");
    assert.equal(await FRD_FOLDER_OUTPUT.problem(frd), undefined);
    assert.match((await FRD_FOLDER_OUTPUT.problem(plots))!, /which is not a \.frd file/);
  });
});
