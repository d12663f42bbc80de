import { Worker } from 'node:worker_threads';

export interface CsafProblem {
  /** JSON pointer into the document, e.g. /document/tracking/version. */
  path: string;
  message: string;
  /** The validator's test: csaf_2_0_strict (the schema) or mandatoryTest_6_1_… */
  test: string;
}

/**
 * @secvisogram/csaf-validator-lib is an ES module; ketenbeeld (and jest's module sandbox) is
 * CommonJS. A worker thread loads it natively, and keeps a large document's validation off the
 * event loop that serves everybody else. One worker per process, started on first use, ended when
 * idle for a minute.
 *
 * `validate.js`, not `validateStrict.js`: the strict entry only checks that every test passed to it
 * is one of the library's (ours are: its schema test and its mandatory tests, nothing else), and to
 * know them it loads the optional and informative tests too, which took 18 s of a 20 s cold start here.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { pathToFileURL } = require('node:url');
const load = (file) => import(pathToFileURL(file).href);
const loaded = Promise.all([load(workerData.validate), load(workerData.mandatory), load(workerData.schema)]);
parentPort.on('message', async ({ id, document }) => {
  try {
    const [validate, mandatory, schema] = await loaded;
    const result = await validate.default([schema.csaf_2_0_strict, ...Object.values(mandatory)], document);
    const problems = [];
    for (const test of result.tests) {
      for (const error of test.errors) problems.push({ path: error.instancePath || '/', message: error.message, test: test.name });
    }
    parentPort.postMessage({ id, valid: result.isValid && problems.length === 0, problems });
  } catch (error) {
    parentPort.postMessage({ id, failure: String((error && error.stack) || error) });
  }
});`;

const IDLE_MS = 60_000;
const TIMEOUT_MS = 60_000;

interface Pending { resolve: (problems: CsafProblem[]) => void; reject: (error: Error) => void; timer: NodeJS.Timeout }

let worker: Worker | null = null;
let idle: NodeJS.Timeout | null = null;
let nextId = 0;
const pending = new Map<number, Pending>();

function library(file: string): string {
  return require.resolve(`@secvisogram/csaf-validator-lib/${file}`);
}

function startWorker(): Worker {
  const started = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { validate: library('validate.js'), mandatory: library('mandatoryTests.js'), schema: library('schemaTests.js') },
  });
  started.unref();
  started.on('message', (message: { id: number; problems?: CsafProblem[]; failure?: string }) => {
    const waiting = pending.get(message.id);
    if (!waiting) return;
    pending.delete(message.id);
    clearTimeout(waiting.timer);
    if (message.failure !== undefined) waiting.reject(new Error(`CSAF validation failed: ${message.failure}`));
    else waiting.resolve(message.problems ?? []);
    scheduleIdleStop();
  });
  const fail = (error: Error) => {
    if (worker === started) worker = null;
    for (const [id, waiting] of pending) {
      clearTimeout(waiting.timer);
      waiting.reject(error);
      pending.delete(id);
    }
  };
  started.on('error', fail);
  started.on('exit', (code) => fail(new Error(`The CSAF validator stopped (exit code ${code})`)));
  return started;
}

function scheduleIdleStop(): void {
  if (idle) clearTimeout(idle);
  idle = setTimeout(() => {
    if (pending.size === 0 && worker) {
      const stopping = worker;
      worker = null;
      void stopping.terminate();
    }
  }, IDLE_MS);
  idle.unref();
}

/**
 * The problems the CSAF 2.0 schema (strict: no unknown properties) and the mandatory tests (section
 * 6.1 of the standard) find, in the validator's order; empty when the document is valid.
 */
export function validateCsaf(document: unknown): Promise<CsafProblem[]> {
  worker ??= startWorker();
  if (idle) clearTimeout(idle);
  const id = ++nextId;
  const running = worker;
  return new Promise<CsafProblem[]>((resolve, reject) => {
    const timer = setTimeout(() => {
      pending.delete(id);
      reject(new Error('CSAF validation took longer than a minute'));
      if (worker === running) worker = null;
      void running.terminate();
    }, TIMEOUT_MS);
    timer.unref();
    pending.set(id, { resolve, reject, timer });
    running.postMessage({ id, document });
  });
}

/** Ends the worker now (the CLI, before it exits). */
export async function stopCsafValidator(): Promise<void> {
  const stopping = worker;
  worker = null;
  if (idle) clearTimeout(idle);
  if (stopping) await stopping.terminate();
}
