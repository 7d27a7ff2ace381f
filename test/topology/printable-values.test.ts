import { checkTopologyText } from '../../src/topology/load.js';

/**
 * A value of the topology shown in a message reaches the operator's terminal: the C1 controls
 * (U+009B is a CSI on many terminals), DEL and the characters that reorder text are written as
 * \uXXXX escapes, as JSON already writes the C0 ones, and a long value is still cut.
 */
const grid = (node: string) => `apiVersion: gridops/v1
kind: Grid
metadata: { name: g }
regions:
  - name: r1
    subgrids:
      - name: s1
        discovery: { multicast: "239.192.10.1:7950" }
        nodes:
          - ${node}
`;

describe('a topology value in a message', () => {
  it('has its C1 controls, DEL and bidi characters escaped', () => {
    const { problems } = checkTopologyText('t.yaml', grid('{ name: a, address: "10.0.0.1\\u009b31m\\u202e\\u007f" }'));
    const messages = problems.map((p) => p.message).join('\n');
    expect(messages).toContain('"10.0.0.1\\u009b31m\\u202e\\u007f" is neither an IP address nor a hostname');
    expect(messages).not.toMatch(/[\u007f-\u009f\u202e]/);
  });

  it('is cut after 40 characters, saying how long it was', () => {
    const long = `${'\u202e'.repeat(45)}x`;
    const { problems } = checkTopologyText('t.yaml', grid(`{ name: a, address: "${long.replace(/\u202e/g, '\\u202e')}" }`));
    expect(problems.map((p) => p.message).join('\n')).toContain(`"${'\\u202e'.repeat(40)}… (46 chars)" is neither an IP address nor a hostname`);
  });
});
