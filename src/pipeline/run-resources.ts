import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { type ColumnMapping, type CsvInput, openCsvInput, resolveColumns } from "../csv/index.js";
import { onExitUndo } from "../fs/exit-cleanup.js";
import { asStoreFailure } from "../fs/io-errors.js";
import { lockOutputs } from "../fs/output-lock.js";
import { openPaidJournal, type PaidJournal } from "../send/paid-journal.js";
import { journalDir, replayJournals } from "../store/journal.js";
import { openStore } from "../store/open-store.js";
import type { OutcomeStore } from "../store/types.js";
import type { EnrichOptions } from "./enrich-types.js";
import type { OutputPaths } from "./output-paths.js";
import type { OutputWriters } from "./output-writers.js";
import { RunLedger } from "./run-ledger.js";

/** The run as registered in the store: its id, and what a killed run left in flight. */
export interface RunRegistration {
  runId: string;
  staleInflight: number;
}

/**
 * Everything one run holds open (output locks, the input, the store, the run's ledger, the outputs being
 * written), opened in that order and closed together, once, whatever happened in between.
 */
export class RunResources {
  readonly #options: EnrichOptions;
  #scratchStore: string | undefined;
  #forgetScratch: (() => void) | undefined;
  #locks: { release(): Promise<void> } | undefined;
  #input: CsvInput | undefined;
  #mapping: ColumnMapping | undefined;
  #store: OutcomeStore | undefined;
  #ledger: RunLedger | undefined;
  #journal: PaidJournal | undefined;
  /** Paid outcomes earlier runs left in this store's journal, stored by this run before it planned. */
  recovered = 0;
  /** The outputs being written, if any: aborted (temp files removed) when the run fails. */
  out: OutputWriters | undefined;
  /** Stops the plan pass between chunks when the run fails elsewhere. */
  readonly stopPlanning = new AbortController();
  /** The plan pass, once started: a failed run waits for it to stop before closing what it reads. */
  planning: Promise<unknown> | undefined;

  constructor(options: EnrichOptions) {
    this.#options = options;
  }

  /** Before anything is read or sent: a run overlapping another on the same outputs stops here (exit 8). */
  async lockOutputs(paths: OutputPaths): Promise<void> {
    if (!this.#options.dryRun) this.#locks = await lockOutputs([paths.enriched, paths.errors, paths.summary]);
  }

  /** Opens the input, resolves its columns, opens the store and the run's ledger. */
  async open(): Promise<void> {
    const options = this.#options;
    if (options.storePath === null) {
      // --no-store: a throw-away store for this run, removed at the end (and at exit, if killed).
      const scratch = throwAwayStorePath();
      this.#scratchStore = scratch;
      this.#forgetScratch = onExitUndo(() => removeStoreFiles(scratch));
    }
    this.#input = await openCsvInput(options.input, options.read);
    this.#mapping = resolveColumns(this.#input.info.header, options.mapping, this.#input.sample);
    this.#store = await openStore(options.storePath ?? this.#scratchStore!);
    // What earlier runs were paid for and could not store goes in before anything is planned (a dry run
    // only looks: store stats says what is waiting).
    if (this.journalDir !== undefined && !options.dryRun) {
      this.recovered = await replayJournals(this.journalDir, this.#store);
    }
    this.#ledger = new RunLedger();
  }

  /** This store's journal directory on this machine, or undefined with --no-store (nothing to keep). */
  get journalDir(): string | undefined {
    return this.#options.storePath === null ? undefined : journalDir(this.store.location);
  }

  /** Opens this run's journal of paid outcomes; one that cannot be created is reported and done without. */
  async openJournal(runId: string, notice: (text: string) => void): Promise<PaidJournal | undefined> {
    const dir = this.journalDir;
    if (dir === undefined || this.#options.dryRun) return undefined;
    this.#journal = await openPaidJournal(dir, runId, notice);
    return this.#journal;
  }

  get input(): CsvInput {
    return this.#input!;
  }

  get mapping(): ColumnMapping {
    return this.#mapping!;
  }

  get store(): OutcomeStore {
    return this.#store!;
  }

  get ledger(): RunLedger {
    return this.#ledger!;
  }

  /** Where outcomes are kept between runs, or null with --no-store. */
  get storeLocation(): string | null {
    return this.#options.storePath === null ? null : this.store.location;
  }

  /**
   * The API key (a hash of it) whose rate this run shares with the other runs on the store, or undefined
   * with --no-store: a throw-away store has nobody to share with.
   */
  get sharedKeyId(): string | undefined {
    return this.#options.storePath === null ? undefined : this.#options.client.keyId;
  }

  /** Registers the run; a dry run only looks (it neither registers nor clears what a killed run left). */
  async register(): Promise<RunRegistration> {
    if (this.#options.dryRun) return { runId: "", staleInflight: await this.store.peekStaleInflight() };
    return this.store.beginRun(this.sharedKeyId);
  }

  /** Runs on the key now, this one included (a dry run is not registered, so it counts itself). */
  async fleetNow(): Promise<number> {
    const keyId = this.sharedKeyId;
    if (keyId === undefined) return 1;
    const { runs } = await this.store.keyShare(keyId);
    return this.#options.dryRun ? runs + 1 : Math.max(1, runs);
  }

  /** The run failed: nothing more is read or written; the error as the user should read it. */
  async failed(error: unknown): Promise<unknown> {
    this.stopPlanning.abort();
    await this.planning?.catch(() => {});
    await this.out?.abort();
    return asStoreFailure(error, this.#store?.location ?? this.#options.storePath ?? this.#scratchStore!);
  }

  async close(): Promise<void> {
    await this.#journal?.close();
    this.#ledger?.close();
    await this.#store?.close();
    await this.#input?.close();
    if (this.#scratchStore) removeStoreFiles(this.#scratchStore);
    this.#forgetScratch?.();
    await this.#locks?.release();
  }
}

function throwAwayStorePath(): string {
  return path.join(os.tmpdir(), `fluence-run-${process.pid}-${randomBytes(6).toString("hex")}.sqlite`);
}

function removeStoreFiles(file: string): void {
  for (const suffix of ["", "-wal", "-shm", "-journal"]) rmSync(`${file}${suffix}`, { force: true });
}
