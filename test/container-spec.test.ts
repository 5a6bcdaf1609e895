import { describe, expect, it } from 'vitest';
import {
  container,
  fromRunArgs,
  optionValues,
  runHelpOptions,
  SpecError,
  unknownOptions,
  withoutOptions,
} from '../src/parse/container-spec.js';

describe('fromRunArgs: podman run arguments as a container spec', () => {
  it('reads options with podman grammar, then the image and its command', () => {
    const spec = fromRunArgs([
      '-d',
      '--name',
      'web',
      '--network=none',
      '--cap-drop',
      'ALL',
      '-it',
      '-u',
      '1000:1000',
      '-v/srv:/srv:ro',
      '--read-only',
      '--net',
      'host',
      'quay.io/x/web:1',
      'serve',
      '--port',
      '8080',
    ]);
    expect(spec.image).toBe('quay.io/x/web:1');
    expect(spec.command).toEqual(['serve', '--port', '8080']);
    expect(spec.options).toEqual([
      '--detach',
      '--name=web',
      '--network=none',
      '--cap-drop=ALL',
      '--interactive',
      '--tty',
      '--user=1000:1000',
      '--volume=/srv:/srv:ro',
      '--read-only',
      '--network=host',
    ]);
  });
  it('splits comma lists and drops a setting for the control', () => {
    const spec = fromRunArgs(['--cap-drop=NET_RAW,CHOWN', '--cap-drop', 'KILL', '--user=1', 'img']);
    expect(optionValues(spec, '--cap-drop', true)).toEqual(['NET_RAW', 'CHOWN', 'KILL']);
    expect(withoutOptions(spec, (n) => n === '--cap-drop').options).toEqual(['--user=1']);
  });
  it('says what it cannot read, in one line', () => {
    expect(() => fromRunArgs(['--network'])).toThrow(SpecError);
    expect(() => fromRunArgs(['--rm'])).toThrow(/no image/);
    expect(() => fromRunArgs(['-Z', 'img'])).toThrow(/unknown option -Z/);
  });
  it('the builder makes the same spec as the run line', () => {
    const built = container('img')
      .named('app')
      .withNetwork('none')
      .withCapDrop('ALL')
      .withCapAdd('NET_BIND_SERVICE')
      .withReadOnly()
      .withNoNewPrivileges()
      .withUser('1000:1000')
      .withOption('--ipc', 'none')
      .toSpec();
    const line = fromRunArgs(
      [
        '--network=none',
        '--cap-drop=ALL',
        '--cap-add=NET_BIND_SERVICE',
        '--read-only',
        '--security-opt=no-new-privileges',
        '--user=1000:1000',
        '--ipc=none',
        'img',
      ],
      'app',
    );
    expect(built).toEqual(line);
  });
  it('the builder keeps a command, and each new setting keeps it', () => {
    const spec = container('img')
      .withCommand('httpd', '-f')
      .named('web')
      .withIpc('none')
      .withVolume('/srv', '/data', 'ro')
      .withMask('/proc/version')
      .withUserns('auto')
      .toSpec();
    expect(spec).toEqual(
      fromRunArgs(
        [
          '--ipc=none',
          '--volume=/srv:/data:ro',
          '--security-opt=mask=/proc/version',
          '--userns=auto',
          'img',
          'httpd',
          '-f',
        ],
        'web',
      ),
    );
  });
});

describe('the options this podman knows (from `podman run --help`)', () => {
  const help = [
    'Options:',
    '      --add-host strings                         Add a custom host-to-IP mapping (host:ip) (default [])',
    '      --cap-add strings                          Add capabilities to the container',
    '  -v, --volume stringArray                       Bind mount a volume into the container',
    '      --read-only                                Make containers root filesystem read-only',
  ].join('\n');
  it('reads long options, with or without a short one', () => {
    expect([...runHelpOptions(help)]).toEqual(['--add-host', '--cap-add', '--volume', '--read-only']);
  });
  it("names a spec's options it does not list", () => {
    const spec = fromRunArgs(['--cap-add=NET_RAW', '--bogus=1', '-v', '/a:/b', 'img']);
    expect(unknownOptions(spec, runHelpOptions(help))).toEqual(['--bogus']);
  });
});
