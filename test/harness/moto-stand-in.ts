/**
 * test/harness/moto.ts loaded afresh with MOTO_SERVER_PATH set to `server` (a stand-in for moto_server): the harness
 * reads the variable when it loads, so each stand-in needs its own copy of the module.
 */
export function motoHarnessWith(server: string): typeof import('./moto') {
  process.env.MOTO_SERVER_PATH = server;
  let loaded: typeof import('./moto') | undefined;
  jest.isolateModules(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    loaded = require('./moto') as typeof import('./moto');
  });
  if (!loaded) throw new Error('test/harness/moto.ts did not load');
  return loaded;
}
