// warren perf's command line: PerfTest's flags, defaults and the amqp:// URI.
import { describe, expect, it } from 'vitest';
import { parsePerfArgs, parseUri, PerfUsageError, type PerfOptions } from '../../src/perf/options.js';

function parse(...argv: string[]): PerfOptions {
  const o = parsePerfArgs(argv, new Date(2024, 0, 2, 3, 4, 5, 6));
  if (o === 'help') throw new Error('help');
  return o;
}

describe('warren perf flags', () => {
  it('has PerfTest defaults', () => {
    const o = parse();
    expect(o).toMatchObject({
      host: 'localhost',
      port: 5672,
      username: 'guest',
      password: 'guest',
      vhost: '/',
      producers: 1,
      consumers: 1,
      size: 12,
      autoAck: false,
      qos: 0,
      confirm: undefined,
      multiAckEvery: 0,
      persistent: false,
      mandatory: false,
      queue: '',
      exchange: 'direct',
      exchangeType: 'direct',
      routingKey: undefined,
      rate: 0,
      consumerRate: 0,
      producerMessages: 0,
      consumerMessages: 0,
      time: 0,
      autoDelete: true,
      id: 'test-030405-006',
      interval: 1,
    });
  });

  it('reads every short flag', () => {
    const o = parse(
      ...['-x', '3', '-y', '4', '-s', '1000', '-a', '-q', '50', '-c', '100', '-A', '10', '-f', 'persistent', '-f', 'mandatory'],
      ...['-u', 'q', '-e', 'ex', '-t', 'topic', '-k', 'a.b', '-r', '2.5', '-R', '7', '-C', '11', '-D', '12', '-z', '30', '-d', 'run1'],
      ...['-h', 'amqp://u:p@h:1234/v'],
    );
    expect(o).toMatchObject({
      producers: 3,
      consumers: 4,
      size: 1000,
      autoAck: true,
      qos: 50,
      confirm: 100,
      multiAckEvery: 10,
      persistent: true,
      mandatory: true,
      queue: 'q',
      exchange: 'ex',
      exchangeType: 'topic',
      routingKey: 'a.b',
      rate: 2.5,
      consumerRate: 7,
      producerMessages: 11,
      consumerMessages: 12,
      time: 30,
      id: 'run1',
      host: 'h',
      port: 1234,
      username: 'u',
      password: 'p',
      vhost: 'v',
    });
  });

  it('reads the long names', () => {
    const o = parse('--producers', '2', '--consumers', '0', '--confirm', '0', '--flag', 'persistent', '--queue', 'q', '--uri', 'amqp://localhost:5673', '--auto-delete', 'false', '--pmessages', '5');
    expect(o).toMatchObject({ producers: 2, consumers: 0, confirm: 0, persistent: true, queue: 'q', port: 5673, autoDelete: false, producerMessages: 5 });
    expect(parse('--confirm=-1').confirm).toBeUndefined();
    expect(parse('-e', '').exchange).toBe('');
  });

  it('asks for help with --help, -? or a bare -h', () => {
    expect(parsePerfArgs(['--help'])).toBe('help');
    expect(parsePerfArgs(['-?'])).toBe('help');
    expect(parsePerfArgs(['-h'])).toBe('help');
  });

  it('refuses bad values with one-line errors', () => {
    const bad = [['-x', 'two'], ['-x', '-1'], ['-s', '1.5'], ['-f', 'immediate'], ['-r', 'fast'], ['--auto-delete', 'yes'], ['--nope'], ['extra'], ['-q', '70000'], ['-i', '0'], ['-h', 'http://x'], ['-h', 'amqps://x']];
    for (const argv of bad) {
      let err: unknown;
      try {
        parsePerfArgs(argv);
      } catch (e) {
        err = e;
      }
      expect(err, argv.join(' ')).toBeInstanceOf(PerfUsageError);
      expect((err as Error).message).not.toContain('\n');
    }
  });
});

describe('amqp URIs', () => {
  it('decodes credentials, host, port and vhost as RabbitMQ clients do', () => {
    expect(parseUri('amqp://localhost')).toEqual({ host: 'localhost', port: 5672, username: 'guest', password: 'guest', vhost: '/' });
    expect(parseUri('amqp://localhost/')).toMatchObject({ vhost: '' });
    expect(parseUri('amqp://localhost/%2f')).toMatchObject({ vhost: '/' });
    expect(parseUri('amqp://a%40b:p%3Aw@127.0.0.1:5999/my%2Fvhost')).toEqual({ host: '127.0.0.1', port: 5999, username: 'a@b', password: 'p:w', vhost: 'my/vhost' });
    expect(parseUri('amqp://[::1]:5672')).toMatchObject({ host: '::1' });
  });

  it('never puts the password in an error or in the options it keeps', () => {
    for (const bad of ['amqp://user:s3cret@host:99999/v', 'amqp://user:s3cret@host/a/b', 'amqp://user:s3cret@host/?nosuch=1', 'http://user:s3cret@host']) {
      let err: unknown;
      try {
        parseUri(bad);
      } catch (e) {
        err = e;
      }
      expect(err, bad).toBeInstanceOf(PerfUsageError);
      expect((err as Error).message, bad).not.toContain('s3cret');
    }
    const o = parsePerfArgs(['--uri', 'amqp://user:s3cret@host/v']) as PerfOptions;
    expect(o).toMatchObject({ uri: 'amqp://user@host/v', username: 'user', password: 's3cret', vhost: 'v' });
  });
});
