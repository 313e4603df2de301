import { type ColumnMapping, type CsvOutput, createCsvOutput, type FormulaEscape } from "../csv/index.js";
import {
  ANALISE_COLUMN,
  BASIC_COLUMNS,
  ERROR_COLUMNS,
  type ExtraColumns,
  flattenAnalise,
} from "./flatten-analise.js";

export interface OutputSettings {
  enrichedPath: string;
  errorsPath: string;
  format: "csv" | "jsonl";
  delimiter: string;
  bom: boolean;
  escapeFormulas: FormulaEscape;
  /** The complete analysis's columns beyond the basic ones (learned before opening). Default none. */
  extraColumns?: ExtraColumns;
}

/** The two row outputs of a run, written to temp files and renamed into place only when complete. */
export class OutputWriters {
  readonly #enriched: CsvOutput;
  readonly #errors: CsvOutput;
  readonly #passthrough: number[];
  readonly #extra: ExtraColumns | undefined;

  private constructor(
    enriched: CsvOutput,
    errors: CsvOutput,
    passthrough: number[],
    extra: ExtraColumns | undefined,
  ) {
    this.#enriched = enriched;
    this.#errors = errors;
    this.#passthrough = passthrough;
    this.#extra = extra;
  }

  static async open(
    header: string[],
    mapping: ColumnMapping,
    settings: OutputSettings,
  ): Promise<OutputWriters> {
    const kept = mapping.passthrough.map((i) => header[i] ?? "");
    const common = {
      format: settings.format,
      delimiter: settings.delimiter,
      bom: settings.bom,
      escapeFormulas: settings.escapeFormulas,
      apiColumnsFrom: kept.length,
    };
    const extra = settings.extraColumns?.columns() ?? [];
    const enriched = await createCsvOutput({
      ...common,
      path: settings.enrichedPath,
      header: [...kept, ...BASIC_COLUMNS, ...extra, ANALISE_COLUMN],
    });
    try {
      const errors = await createCsvOutput({
        ...common,
        path: settings.errorsPath,
        header: [...kept, ...ERROR_COLUMNS],
      });
      return new OutputWriters(enriched, errors, mapping.passthrough, settings.extraColumns);
    } catch (error) {
      await enriched.abort();
      throw error;
    }
  }

  /** The input's kept columns of a record; a short (ragged) record is padded so no column shifts. */
  originals(fields: string[]): string[] {
    return this.#passthrough.map((i) => fields[i] ?? "");
  }

  /** A row with its analysis (the JSON text as stored) flattened into the enriched columns. */
  writeEnriched(fields: string[], analiseJson: string): Promise<void> {
    return this.#enriched.write([...this.originals(fields), ...flattenAnalise(analiseJson, this.#extra)]);
  }

  writeError(
    fields: string[],
    row: number,
    code: string,
    message: string,
    retryable: boolean,
  ): Promise<void> {
    return this.#errors.write([...this.originals(fields), String(row), code, message, String(retryable)]);
  }

  async commit(): Promise<void> {
    await this.#enriched.commit();
    await this.#errors.commit();
  }

  async abort(): Promise<void> {
    await Promise.allSettled([this.#enriched.abort(), this.#errors.abort()]);
  }
}
