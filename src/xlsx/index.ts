/** Excel workbooks: magic-byte detection, a streaming sheet reader and a streaming writer. */
export { cellText } from "./cell-text.js";
export { type FileKind, fileKind, namedLikeWorkbook } from "./magic.js";
export { createWorkbookOutput, type WorkbookOutput } from "./workbook-output.js";
export { type SheetRow, sheetRows } from "./workbook-rows.js";
