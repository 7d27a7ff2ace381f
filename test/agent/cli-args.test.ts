import { AgentUsageError, parseAgentArgs } from '../../src/agent/runtime/cli-args.js';

const CONFIG = '/etc/gridagent/config.yaml';

/**
 * Review findings 1 and 3: the CLI took any first word starting with `-` as `run` (so `gridagent
 * --config F status` started a second daemon), read `--http 127.0.0.1` as port 80, fell back to the
 * config for a `--http` with no value, and ignored unknown flags and extra words. Anything it does
 * not know is now a usage error (exit 64).
 */
describe('the gridagent command line', () => {
  test.each([
    [[], { command: 'run', config: CONFIG }],
    [['--config', '/tmp/c.yaml'], { command: 'run', config: '/tmp/c.yaml' }],
    [['run', '--config=/tmp/c.yaml'], { command: 'run', config: '/tmp/c.yaml' }],
    [['status'], { command: 'status', config: CONFIG, json: false, http: null }],
    [['status', '--json', '--config', 'c.json'], { command: 'status', config: 'c.json', json: true, http: null }],
    [['members', '--http', '[::1]:7950'], { command: 'members', config: CONFIG, json: false, http: { host: '::1', port: 7950 } }],
    [['leave', '--http=10.0.1.11:7950'], { command: 'leave', config: CONFIG, http: { host: '10.0.1.11', port: 7950 } }],
    [['rejoin', '--config', 'c.yaml'], { command: 'rejoin', config: 'c.yaml' }],
    [['--version'], { command: 'version' }],
    [['status', '--help'], { command: 'help' }],
  ])('%j', (argv, parsed) => {
    expect(parseAgentArgs(argv)).toEqual(parsed);
  });

  test.each([
    [['--config', 'c.yaml', 'status'], "unexpected 'status': the command comes first (gridagent status --config FILE)"],
    [['status', 'extra'], "unexpected 'extra'"],
    [['stauts'], "unknown command 'stauts'"],
    [['status', '--jsno'], 'gridagent status takes no option --jsno'],
    [['run', '--json'], 'gridagent run takes no option --json'],
    [['leave', '--json'], 'gridagent leave takes no option --json'],
    [['rejoin', '--http', '127.0.0.1:7950'], 'gridagent rejoin takes no option --http'],
    [['status', '--http'], '--http needs a value (HOST:PORT)'],
    [['status', '--http', '--json'], '--http needs a value (HOST:PORT)'],
    [['status', '--http='], '--http needs a value (HOST:PORT)'],
    [['--config'], '--config needs a value (FILE)'],
    [['status', '--json=yes'], '--json takes no value'],
    [['status', '--json', '--json'], '--json is given twice'],
    [['status', '--config', 'a', '--config', 'b'], '--config is given twice'],
  ])('%j is a usage error', (argv, message) => {
    expect(() => parseAgentArgs(argv)).toThrow(new AgentUsageError(message));
  });

  test.each(['127.0.0.1', '127.0.0.1:', '127.0.0.1:0', '127.0.0.1:70000', '127.0.0.1:http', ':7950', '[::1]'])('--http %s is not HOST:PORT: a usage error, not a dial to port 80', (http) => {
    expect(() => parseAgentArgs(['status', '--http', http])).toThrow(
      new AgentUsageError(`--http ${http} is not HOST:PORT with a port from 1 to 65535; write it as 127.0.0.1:7950 or [::1]:7950`),
    );
  });
});
