/** What the first bytes of a file say it is: detection by content, never by the name alone. */
export type FileKind = "zip" | "ole2" | "other";

const ZIP = Buffer.from([0x50, 0x4b, 0x03, 0x04]);
// OLE2 compound file: an old binary .xls, and also any encrypted (password-protected) .xlsx.
const OLE2 = Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]);

export function fileKind(head: Buffer): FileKind {
  if (head.subarray(0, ZIP.length).equals(ZIP)) return "zip";
  if (head.subarray(0, OLE2.length).equals(OLE2)) return "ole2";
  return "other";
}

export function namedLikeWorkbook(path: string): boolean {
  return /\.(xlsx|xlsm|xls|xltx|xltm)$/i.test(path);
}
