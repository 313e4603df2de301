/** CSV in and out: encoding/delimiter detection, streaming records, column mapping, atomic outputs. */
export {
  type ColumnMapping,
  type ColumnMappingOptions,
  describeMapping,
  extractProfile,
  looksLikeHeader,
  resolveColumns,
} from "./column-mapping.js";
export { type CsvOutput, type CsvOutputOptions, createCsvOutput } from "./csv-output.js";
export { type FormulaEscape, neutralizeFormula } from "./formula.js";
export { SURNAME_PARTICLES, splitFullName } from "./full-name.js";
export { HEADER_ALIASES } from "./header-aliases.js";
export {
  type CsvInput,
  type CsvInputInfo,
  type CsvReadOptions,
  type CsvRecord,
  openCsvInput,
} from "./open-csv-input.js";
