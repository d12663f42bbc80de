import fs from 'node:fs';
import path from 'node:path';
import { freshResultStem, ketenbeeldNodeFlags, REPO } from '../harness/paths';
import { RunningServer, ServerSpec, startServer } from '../harness/server-process';

/** The tools' shared plumbing: their arguments, the builds they compare, where their results go. */

/** The value after `flag` on the command line, or `fallback`. */
export function argument(flag: string, fallback: string | null): string | null {
  const i = process.argv.indexOf(flag);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

/** A built checkout: its dist/src/main.js, started with its package.json's Node flags. */
export interface Build {
  name: string;
  checkout: string;
  main: string;
}

export function buildOf(name: string, checkout: string): Build {
  return { name, checkout, main: path.join(checkout, 'dist/src/main.js') };
}

/**
 * Starts `build` as `spec` says, with its own Node flags; with `--cpu-prof DIR` on the command line
 * the server writes a V8 CPU profile of this start to DIR.
 */
export function startBuild(build: Build, spec: ServerSpec, readySeconds: number): Promise<RunningServer> {
  const profileDir = argument('--cpu-prof', null);
  const profile = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  return startServer({ ...spec, args: [...ketenbeeldNodeFlags(build.checkout), ...profile, build.main] }, readySeconds);
}

/** This checkout, and with `--baseline DIR` the built checkout DIR; each must be built. */
export function buildsToCompare(): Build[] {
  const baseline = argument('--baseline', null);
  const builds = [buildOf('this checkout', REPO), ...(baseline ? [buildOf('baseline', path.resolve(baseline))] : [])];
  for (const build of builds) if (!fs.existsSync(build.main)) throw new Error(`${build.main} is missing: build it first`);
  return builds;
}

/** The options every tool takes: `--scale` (1), `--seed` (1), `--rounds` (3), `--port` (4100). */
export function commonOptions(): { scale: number; seed: number; rounds: number; port: number } {
  return {
    scale: Number(argument('--scale', '1')),
    seed: Number(argument('--seed', '1')),
    rounds: Number(argument('--rounds', '3')),
    port: Number(argument('--port', '4100')),
  };
}

/** Each build measured once per round, in turn: A B in the first round, B A in the next, and so on. */
export async function alternating<M>(builds: Build[], rounds: number, measure: (build: Build, round: number) => Promise<M>): Promise<M[]> {
  const measurements: M[] = [];
  for (let round = 0; round < rounds; round++) {
    for (const build of round % 2 === 0 ? builds : [...builds].reverse()) measurements.push(await measure(build, round));
  }
  return measurements;
}

/** Writes a tool's results as bench/results/<date>-<name>.md and .json (numbered when those exist) and prints the Markdown. */
export function writeResults(name: string, markdown: string, json: unknown): void {
  const stem = freshResultStem(path.join(REPO, 'bench/results'), `${new Date().toISOString().slice(0, 10)}-${name}`);
  fs.writeFileSync(`${stem}.md`, markdown);
  fs.writeFileSync(`${stem}.json`, `${JSON.stringify(json, null, 2)}\n`);
  console.log(`\n${markdown}\nwritten to ${stem}.md`);
}

/** Runs a tool's main; a failure is printed and ends the process with 1. */
export function runTool(main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
