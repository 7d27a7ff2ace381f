import { join } from 'node:path';
import { labFiles } from './paths.js';
import { pidsWithArg, terminate } from './sys.js';

/**
 * Stops the lab's daemons that lab.json does not record: an `up` interrupted before it saved them
 * (a second Ctrl-C), a proxy whose start failed after it was spawned, a lab directory deleted by
 * hand. Each is found by an argument naming a file of `dir`: the name server by its hosts file,
 * the package proxy by its cache. A stray proxy keeps the slot's bridge address and port, and every
 * later `up` in that slot fails to start its own. Returns how many it stopped.
 */
export async function stopStrayDaemons(dir: string): Promise<number> {
  const files = labFiles(dir);
  const strays = [...pidsWithArg(`--addn-hosts=${join(files.dns, 'hosts')}`), ...pidsWithArg(`CacheDir=${join(files.proxy, 'cache')}`)];
  if (strays.length) await terminate(strays, 3000);
  return strays.length;
}
