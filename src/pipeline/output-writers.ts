import { type ColumnMapping, type CsvOutput, createCsvOutput, type FormulaEscape } from "../csv/index.js";
import { stageFile } from "../fs/atomic-file.js";
import { asOnePublish } from "../fs/exit-cleanup.js";
import { createWorkbookOutput } from "../xlsx/index.js";
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
  summaryPath: string;
  format: "csv" | "jsonl" | "xlsx";
  delimiter: string;
  bom: boolean;
  escapeFormulas: FormulaEscape;
  /** The complete analysis's columns beyond the basic ones (learned before opening). Default none. */
  extraColumns?: ExtraColumns;
}

/**
 * The outputs of a run: the two row files and the summary, written to temp files and renamed into place
 * only when all three are complete, so a full disk or a second signal never publishes a partial set.
 */
export class OutputWriters {
  readonly #enriched: CsvOutput;
  readonly #errors: CsvOutput;
  readonly #passthrough: number[];
  readonly #summaryPath: string;
  readonly #extra: ExtraColumns | undefined;

  private constructor(
    enriched: CsvOutput,
    errors: CsvOutput,
    passthrough: number[],
    settings: OutputSettings,
  ) {
    this.#enriched = enriched;
    this.#errors = errors;
    this.#passthrough = passthrough;
    this.#summaryPath = settings.summaryPath;
    this.#extra = settings.extraColumns;
  }

  static async open(
    header: string[],
    mapping: ColumnMapping,
    settings: OutputSettings,
  ): Promise<OutputWriters> {
    const kept = mapping.passthrough.map((i) => header[i] ?? "");
    const common = {
      delimiter: settings.delimiter,
      bom: settings.bom,
      escapeFormulas: settings.escapeFormulas,
      apiColumnsFrom: kept.length,
    };
    const extra = settings.extraColumns?.columns() ?? [];
    // Workbooks take the same rows; the formula rule is moot there: every value is a text cell.
    const create = (path: string, header: string[], sheetName: string): Promise<CsvOutput> =>
      settings.format === "xlsx"
        ? createWorkbookOutput({ path, header, sheetName })
        : createCsvOutput({ ...common, format: settings.format, path, header });
    const enrichedHeader = [...kept, ...BASIC_COLUMNS, ...extra, ANALISE_COLUMN];
    const enriched = await create(settings.enrichedPath, enrichedHeader, "Enriched");
    try {
      const errors = await create(settings.errorsPath, [...kept, ...ERROR_COLUMNS], "Errors");
      return new OutputWriters(enriched, errors, mapping.passthrough, settings);
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

  /** Flushes and fsyncs both row files: a full disk shows here, before anything is published. */
  async finish(): Promise<void> {
    await this.#enriched.finish();
    await this.#errors.finish();
  }

  /** Writes the summary beside them, then publishes all three (renames only). */
  async commit(summaryText: string): Promise<void> {
    await this.finish();
    const summary = await stageFile(this.#summaryPath, summaryText);
    try {
      await asOnePublish(async () => {
        await this.#enriched.commit();
        await this.#errors.commit();
        await summary.publish();
      });
    } finally {
      await summary.discard();
    }
  }

  async abort(): Promise<void> {
    await Promise.allSettled([this.#enriched.abort(), this.#errors.abort()]);
  }
}
