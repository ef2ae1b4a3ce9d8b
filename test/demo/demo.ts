/**
 * `sudo npm run demo`: the headless demo. A strongSwan 5.9.8 gateway (PSK) in network namespaces,
 * our real CLI (`tsunagi connect`) in the client namespace with its output streamed here, a ping
 * and a ~20 MB iperf3 transfer to the protected host through the tunnel, what the gateway and the
 * client see, then Ctrl-C for the client and a full teardown (also on Ctrl-C or failure). Exit 0
 * only if every step worked.
 */
import { readFileSync } from 'node:fs';
import { ADDR, createTestbed, type Testbed } from '../interop/support/testbed.js';
import { createPki } from '../interop/support/pki.js';
import { startGateway, type Gateway } from '../interop/support/strongswan.js';
import {
  missingPrerequisites,
  staleBuildWarning,
  TsunagiProcess,
  writePskProfile,
} from '../bench/lib.js';

const tty = process.stdout.isTTY;
const paint = (code: string) => (s: string) => (tty ? `\x1b[${code}m${s}\x1b[0m` : s);
const bold = paint('1');
const dim = paint('2');
const green = paint('32');
const red = paint('31');
const cyan = paint('36');

const say = (s = '') => process.stdout.write(`${s}\n`);
const indent = (text: string, prefix = '    ') =>
  text
    .trimEnd()
    .split('\n')
    .map((l) => `${prefix}${l}`)
    .join('\n');

interface Step {
  name: string;
  ok: boolean;
  ms: number;
  detail: string;
}
const steps: Step[] = [];
let interrupted = false;
/** The step that is running (for the summary when Ctrl-C ends us in the middle of it). */
let current: { name: string; t0: number } | undefined;

async function step<T>(name: string, fn: () => Promise<T>, detail?: (v: T) => string): Promise<T> {
  say(`\n${bold(`▶ ${name}`)}`);
  const t0 = performance.now();
  current = { name, t0 };
  try {
    const v = await fn();
    const d = detail ? detail(v) : '';
    steps.push({ name, ok: true, ms: performance.now() - t0, detail: d });
    say(
      green(`  ✓ ${name}${d ? `: ${d}` : ''}`) +
        dim(` (${(performance.now() - t0).toFixed(0)} ms)`),
    );
    return v;
  } catch (e) {
    const msg = interrupted ? 'interrupted (Ctrl-C)' : (e as Error).message;
    steps.push({ name, ok: false, ms: performance.now() - t0, detail: msg });
    say(red(`  ✗ ${name}: ${msg}`));
    throw e;
  } finally {
    current = undefined;
  }
}

function summary(): number {
  if (current) {
    steps.push({
      name: current.name,
      ok: false,
      ms: performance.now() - current.t0,
      detail: 'interrupted (Ctrl-C)',
    });
    current = undefined;
  }
  say(`\n${bold('Summary')}`);
  for (const s of steps) {
    say(
      `  ${s.ok ? green('✓') : red('✗')} ${s.name.padEnd(58)} ${dim(`${(s.ms / 1000).toFixed(1).padStart(5)} s`)}  ${s.detail}`,
    );
  }
  const failed = interrupted || steps.some((s) => !s.ok);
  say(
    failed
      ? red(bold(interrupted ? 'Demo interrupted.' : 'Demo FAILED.'))
      : green(bold('Demo OK.')),
  );
  return failed ? 1 : 0;
}

async function main(): Promise<number> {
  const missing = missingPrerequisites();
  if (missing.length) {
    // The one line that matters first: root, then strongSwan.
    process.stderr.write(`demo: ${missing.join('; ')}\n`);
    return 2;
  }
  const stale = staleBuildWarning();
  if (stale) say(`WARNING: ${stale}`);
  say(
    bold('Tsunagi headless demo — IKEv2/IPsec to a strongSwan 5.9.8 gateway in network namespaces'),
  );
  say(
    dim(
      `  client ${ADDR.client.uplink0} ─ router ─ gateway ${ADDR.gateway.outer} ─ protected host ${ADDR.host}`,
    ),
  );

  let bed: Testbed | undefined;
  let gw: Gateway | undefined;
  let client: TsunagiProcess | undefined;
  // Ctrl-C: the bed's own handler (test/interop/support/netns.ts) kills what runs in its
  // namespaces and deletes them, then raises SIGINT again; the second one ends us here.
  let sigints = 0;
  process.on('SIGINT', () => {
    interrupted = true;
    sigints++;
    if (sigints === 1) say(red('\n^C — tearing everything down'));
    if (bed === undefined || sigints > 1) {
      summary();
      process.exit(130);
    }
  });

  try {
    bed = await step(
      'create the test bed (4 network namespaces)',
      () => createTestbed(),
      (b) => `run ${b.runId}: ${Object.values(b.ns).join(', ')}`,
    );
    const b = bed;
    const pki = await step('lab PKI (strongSwan pki)', () => createPki(b.tempDir('pki')));
    gw = await step(
      'start the strongSwan gateway (PSK, kernel-libipsec)',
      () => startGateway(b, { pki }),
      (started) => `charon in ${b.ns.gateway}, log ${started.logPath}`,
    );
    const g = gw;
    const profile = writePskProfile(b);
    say(`\n${bold('Profile')} ${dim(profile)}`);
    say(
      indent(
        JSON.stringify(
          JSON.parse(readFileSync(profile, 'utf8')),
          (k, v: unknown) => (k === 'secret' ? '••••••' : v),
          2,
        ),
      ),
    );

    const routesBefore = (await b.exec(b.ns.client, ['ip', 'route', 'show'])).stdout;
    const resolvBefore = b.readClientResolvConf();

    client = await step(
      'tsunagi connect (in the client namespace)',
      async () => {
        const c = new TsunagiProcess(b, profile, {
          json: false,
          onLine: (line, stream) =>
            say(`  ${cyan('tsunagi │')} ${stream === 'err' ? red(line) : line}`),
        });
        client = c;
        const line = await c.waitFor(
          () => c.text.find((l) => /^(connected|error)\b/.test(l)),
          'connected',
          30_000,
        );
        if (!line.startsWith('connected')) throw new Error(line);
        return c;
      },
      (c) => `pid ${c.pid}`,
    );
    const c = client;

    await step(
      `ping ${ADDR.host} through the tunnel`,
      async () => {
        const p = await b.ping({ count: 5, intervalSec: 0.2, deadlineSec: 10 });
        say(
          indent(
            p.output
              .split('\n')
              .filter((l) => l.startsWith('reply') || l.includes('transmitted'))
              .join('\n'),
          ),
        );
        if (p.received !== 5) throw new Error(`${p.received}/5 replies`);
        return p;
      },
      (p) =>
        `5/5 replies, rtt ${Math.min(...p.rttMs).toFixed(2)}–${Math.max(...p.rttMs).toFixed(2)} ms`,
    );

    const iperf = await step(
      'iperf3: 20 MB client → protected host through the tunnel',
      () => b.transfer(20_000_000, { connectTimeoutSec: 5 }),
      (r) =>
        `${(r.bytes / 1e6).toFixed(1)} MB sent (${(r.bytesReceived / 1e6).toFixed(1)} MB counted by the receiver) in ${r.seconds.toFixed(2)} s = ${(r.bitsPerSecond / 1e6).toFixed(0)} Mbit/s` +
        (r.retransmits !== undefined ? `, ${r.retransmits} TCP retransmits` : ''),
    );

    await step(
      "the gateway's view (VICI list-sas)",
      async () => {
        const sas = await g.listSas();
        if (sas.length !== 1) throw new Error(`expected 1 IKE SA, the gateway has ${sas.length}`);
        for (const sa of sas) {
          say(
            indent(
              [
                `IKE SA ${sa.name} #${sa.uniqueId}: ${sa.state}, IKEv${sa.version}, ${sa.remoteId} @ ${sa.remoteHost}:${sa.remotePort}` +
                  `${sa.natRemote ? ' (behind NAT)' : ''}${sa.natFake ? ' (NAT faked by encap=yes)' : ''}`,
                `  ${sa.encrAlg}-${sa.encrKeySize}/${sa.prfAlg}/${sa.dhGroup}, SPIs ${sa.initiatorSpi}_i ${sa.responderSpi}_r, virtual IP ${sa.remoteVips.join(', ')}`,
                ...sa.childSas.map(
                  (ch) =>
                    `  child ${ch.name} #${ch.uniqueId}: ${ch.state}, ${ch.protocol}${ch.encap ? ' in UDP' : ''}, ${ch.encrAlg}-${ch.encrKeySize}, ` +
                    `SPIs ${ch.spiIn}_i ${ch.spiOut}_o\n` +
                    `    in ${ch.bytesIn} bytes / ${ch.packetsIn} packets, out ${ch.bytesOut} bytes / ${ch.packetsOut} packets\n` +
                    `    ${ch.localTs.join(',')} === ${ch.remoteTs.join(',')}`,
                ),
              ].join('\n'),
            ),
          );
          if (sa.state !== 'ESTABLISHED') throw new Error(`IKE SA is ${sa.state}`);
          const ch = sa.childSas[0];
          if (!ch || ch.state !== 'INSTALLED') throw new Error('no installed child SA');
          // Inner IP packets the gateway decrypted: at least what iperf3's receiver counted.
          if (!(ch.bytesIn >= iperf.bytesReceived)) {
            throw new Error(
              `the gateway decrypted ${ch.bytesIn} bytes, less than the ${iperf.bytesReceived} iperf3 received`,
            );
          }
        }
        const ch = sas[0]!.childSas[0]!;
        return `IKE SA ESTABLISHED, child SA INSTALLED, ${(ch.bytesIn / 1e6).toFixed(1)} MB in / ${(ch.bytesOut / 1e6).toFixed(2)} MB out`;
      },
      (d) => d,
    );

    await step(
      "the client's view (routes, resolv.conf)",
      async () => {
        const routes = (await b.exec(b.ns.client, ['ip', 'route', 'show'])).stdout;
        const addrs = (await b.exec(b.ns.client, ['ip', '-brief', 'address', 'show'])).stdout;
        const resolv = b.readClientResolvConf();
        say(`  ${dim('ip -brief address')}\n${indent(addrs)}`);
        say(`  ${dim('ip route')}\n${indent(routes)}`);
        say(
          `  ${dim(`/etc/resolv.conf in the client namespace (${b.clientResolvConf})`)}\n${indent(resolv)}`,
        );
        if (!routes.includes(ADDR.protectedNet))
          throw new Error(`no route to ${ADDR.protectedNet}`);
        if (!resolv.includes(`nameserver ${ADDR.dns}`))
          throw new Error(`no nameserver ${ADDR.dns}`);
        return `route ${ADDR.protectedNet} via the TUN, nameserver ${ADDR.dns}`;
      },
      (d) => d,
    );

    await step(
      'Ctrl-C the client: DELETE, routes and DNS restored',
      async () => {
        const code = await c.stop(15_000);
        if (code !== 0) throw new Error(`tsunagi exited ${code}`);
        const sas = await g.listSas();
        if (sas.length) throw new Error(`the gateway still has ${sas.length} IKE SA(s)`);
        const routesAfter = (await b.exec(b.ns.client, ['ip', 'route', 'show'])).stdout;
        if (routesAfter !== routesBefore) throw new Error(`routes differ:\n${routesAfter}`);
        if (b.readClientResolvConf() !== resolvBefore) throw new Error('resolv.conf not restored');
        return code;
      },
      () => 'exit 0, gateway has no SA, routes and resolv.conf as before',
    );
  } catch {
    // already reported by step()
  } finally {
    if (!interrupted) {
      say(`\n${bold('▶ teardown')}`);
      if (client?.running) await client.stop(5000);
      await gw?.stop().catch(() => undefined);
      await bed?.destroy();
      say(green('  ✓ processes stopped, namespaces and temp dirs removed'));
    }
  }
  return summary();
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`demo: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  },
);
