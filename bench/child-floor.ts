import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_SQLITE_PRAGMAS, startDevServer } from '../devserver/dev-server';
import { cpuSecondsOf } from './processes';
import { FLOOR_KINDS, floorParentWorkflow, type FloorKind, type FloorShape } from './floor/workflows';
import { createWaveSizes, orgShape } from './org-data';
import { childFloorResultFile } from './options';

/**
 * The floor of the product design on this machine: the connector's workflow shape (parent → partitions → one child
 * workflow per employee → one activity) with nothing inside — no codec, no payload store, no HTTP, no plan — on the
 * same dev server (SQLite file on tmpfs) and the same concurrency as `npm run bench`. `bench/pipeline.ts` cannot beat
 * this figure; the gap between the two is what the connector itself costs.
 *
 * `--kind` measures the alternatives to a child per employee the same way (bench/floor/workflows.ts, `FloorShape.kind`).
 * `--like-bench` runs the work of `npm run bench`'s first load of N: its org's create waves (tree levels, one after the
 * other) and only the people it creates (not its leavers), instead of N children in one wave.
 *
 *   npm run build && node dist/bench/child-floor.js [--employees N] [--kind KIND] [--like-bench] [--db-dir DIR] [--sqlite-pragma NAME=VALUE]… [--cli-pragmas] [--in-memory]
 *
 * `--cli-pragmas` leaves SQLite at the temporal CLI's own settings (no `--sqlite-pragma`), to compare with the connector's.
 */

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { employees: { type: 'string', default: '1000' }, 'db-dir': { type: 'string' }, 'sqlite-pragma': { type: 'string', multiple: true }, 'in-memory': { type: 'boolean', default: false }, 'cli-pragmas': { type: 'boolean', default: false }, kind: { type: 'string', default: 'child-activity' }, 'like-bench': { type: 'boolean', default: false } }, strict: true });
  if (!(FLOOR_KINDS as readonly string[]).includes(values.kind)) throw new Error(`--kind must be one of ${FLOOR_KINDS.join(', ')}, got ${values.kind}`);
  const shape: FloorShape = { kind: values.kind as FloorKind, employees: Number(values.employees), partitionSize: 200, maxConcurrentPartitions: 2, maxConcurrentEmployees: 20, activityQueue: 'floor-activities', idPrefix: 'floor' };
  if (!Number.isInteger(shape.employees) || shape.employees < 1) throw new Error(`--employees must be a positive integer, got ${String(values.employees)}`);
  if (values['like-bench']) {
    shape.waves = createWaveSizes(orgShape(shape.employees));
    shape.employees = shape.waves.reduce((sum, size) => sum + size, 0);
  }
  const dbDir = mkdtempSync(path.join(values['db-dir'] ?? (os.platform() === 'linux' ? '/dev/shm' : os.tmpdir()), 'peakon-floor-'));
  // The connector's own pragmas unless others are asked for (an empty list would be the CLI's defaults).
  const pragmas = values['cli-pragmas'] ? [] : (values['sqlite-pragma'] ?? [...DEFAULT_SQLITE_PRAGMAS]);
  const server = await startDevServer(values['in-memory'] ? {} : { dbFilename: path.join(dbDir, 'temporal.db'), sqlitePragmas: pragmas });
  try {
    // The process startDevServer spawned (absent when the SDK's download started it: no dev server CPU then).
    const pid = server.pid;
    const connection = await NativeConnection.connect({ address: server.address });
    const worker = await Worker.create({ connection, namespace: server.namespace, taskQueue: 'floor', workflowsPath: require.resolve('./floor/workflows'), activities: { nothing: async (index: number) => index } });
    // The connector's worker polls its SCIM queue with 20 activity slots per tenant (× 2 partitions here).
    const activityWorker = await Worker.create({ connection, namespace: server.namespace, taskQueue: shape.activityQueue, activities: { nothing: async (index: number) => index }, maxConcurrentActivityTaskExecutions: shape.maxConcurrentEmployees * shape.maxConcurrentPartitions });
    const client = new Client({ connection: await Connection.connect({ address: server.address }), namespace: server.namespace });
    const serverCpuBefore = pid === undefined ? 0 : cpuSecondsOf(pid);
    const workerCpuBefore = process.cpuUsage();
    const started = performance.now();
    const done = await worker.runUntil(activityWorker.runUntil(client.workflow.execute(floorParentWorkflow, { taskQueue: 'floor', workflowId: 'floor-parent', args: [shape] })));
    const wallSeconds = (performance.now() - started) / 1000;
    const workerCpu = process.cpuUsage(workerCpuBefore);
    const figures = {
      command: `node dist/bench/child-floor.js ${process.argv.slice(2).join(' ')}`.trim(),
      machine: { cpus: os.cpus().length, memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version },
      shape,
      database: values['in-memory'] ? 'in memory' : { folder: path.dirname(dbDir), pragmas },
      employees: done,
      wallSeconds: Number(wallSeconds.toFixed(2)),
      employeesPerSecond: Number((done / wallSeconds).toFixed(1)),
      devServerCpuSeconds: pid === undefined ? null : Number((cpuSecondsOf(pid) - serverCpuBefore).toFixed(1)),
      workerProcessCpuSeconds: Number(((workerCpu.user + workerCpu.system) / 1e6).toFixed(1)),
    };
    mkdirSync('bench/results', { recursive: true });
    const file = childFloorResultFile({ employees: values.employees, kind: shape.kind, likeBench: values['like-bench'], cliPragmas: values['cli-pragmas'], inMemory: values['in-memory'], dbDir: values['db-dir'], sqlitePragmas: values['sqlite-pragma'] });
    writeFileSync(file, `${JSON.stringify(figures, null, 2)}\n`);
    process.stdout.write(`${JSON.stringify(figures, null, 2)}\nwritten to ${file}\n`);
    await connection.close();
  } finally {
    await server.stop();
    rmSync(dbDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
