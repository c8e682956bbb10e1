// `warren ctl` policies, operator policies and runtime parameters (vhost and global): set_*, clear_*, list_*.
import { seg } from '../management-client.js';
import { CliError } from '../settings.js';
import { info, jsonArg, jsonText, noVhost, renderValue, unescaped, vhostOf, type Command, type Row } from './command.js';

/** set_policy and set_operator_policy: `NAME PATTERN DEFINITION` with --priority and --apply-to. */
function setPolicy(kind: 'policies' | 'operator-policies', what: string): Command {
  return {
    usage: `${kind === 'policies' ? 'set_policy' : 'set_operator_policy'} [-p VHOST] [--priority N] [--apply-to all|queues|exchanges|classic_queues|quorum_queues|streams] NAME PATTERN DEFINITION`,
    args: 3,
    run: async (api, [name, pattern, definition], o, io) => {
      const v = vhostOf(api, o);
      const priority = o.priority === undefined ? 0 : Number(o.priority);
      if (!Number.isFinite(priority)) throw new CliError(`--priority must be a number, got ${o.priority!}`, 64);
      info(o, io, `Setting ${what} "${name!}" for pattern "${pattern!}" to "${definition!}" with priority "${priority}" for vhost "${v}" ...`);
      const body = { pattern, definition: jsonArg(definition!), priority, 'apply-to': o.applyTo ?? 'all' };
      await api.expectOk('PUT', `/api/${kind}/${seg(v)}/${seg(name!)}`, body, { notFound: noVhost(v) }).catch(unescaped);
    },
  };
}

function clearPolicy(kind: 'policies' | 'operator-policies', what: string): Command {
  return {
    usage: `${kind === 'policies' ? 'clear_policy' : 'clear_operator_policy'} [-p VHOST] NAME`,
    args: 1,
    run: async (api, [name], o, io) => {
      const v = vhostOf(api, o);
      info(o, io, `Clearing ${what} "${name!}" on vhost "${v}" ...`);
      await api.expectOk('DELETE', `/api/${kind}/${seg(v)}/${seg(name!)}`, undefined, { notFound: 'Parameter does not exist' });
    },
  };
}

function listPolicies(kind: 'policies' | 'operator-policies', what: string): Command {
  return {
    usage: `${kind === 'policies' ? 'list_policies' : 'list_operator_policies'} [-p VHOST]   (vhost name pattern apply-to definition priority)`,
    args: 0,
    run: async (api, [], o, io) => {
      const v = vhostOf(api, o);
      info(o, io, `Listing ${what} for vhost "${v}" ...`);
      const rows = await api.get(`/api/${kind}/${seg(v)}`, noVhost(v));
      if (o.tableHeaders) io.out('vhost\tname\tpattern\tapply-to\tdefinition\tpriority');
      for (const r of Array.isArray(rows) ? (rows as Row[]) : []) {
        io.out([r.vhost, r.name, r.pattern, r['apply-to']].map((x) => renderValue(x)).join('\t') + `\t${jsonText(r.definition)}\t${renderValue(r.priority)}`);
      }
    },
  };
}

export const POLICY_COMMANDS: Record<string, Command> = {
  set_policy: setPolicy('policies', 'policy'),
  clear_policy: clearPolicy('policies', 'policy'),
  list_policies: listPolicies('policies', 'policies'),
  set_operator_policy: setPolicy('operator-policies', 'operator policy override'),
  clear_operator_policy: clearPolicy('operator-policies', 'operator policy'),
  list_operator_policies: listPolicies('operator-policies', 'operator policy overrides'),
  set_parameter: {
    usage: 'set_parameter [-p VHOST] COMPONENT NAME VALUE',
    args: 3,
    run: async (api, [component, name, value], o, io) => {
      const v = vhostOf(api, o);
      info(o, io, `Setting runtime parameter "${name!}" for component "${component!}" to "${value!}" in vhost "${v}" ...`);
      await api.expectOk('PUT', `/api/parameters/${seg(component!)}/${seg(v)}/${seg(name!)}`, { value: jsonArg(value!) }, { notFound: noVhost(v) }).catch(unescaped);
    },
  },
  clear_parameter: {
    usage: 'clear_parameter [-p VHOST] COMPONENT NAME',
    args: 2,
    run: async (api, [component, name], o, io) => {
      const v = vhostOf(api, o);
      info(o, io, `Clearing runtime parameter "${name!}" for component "${component!}" on vhost "${v}" ...`);
      await api.expectOk('DELETE', `/api/parameters/${seg(component!)}/${seg(v)}/${seg(name!)}`, undefined, { notFound: 'Parameter does not exist' });
    },
  },
  list_parameters: {
    usage: 'list_parameters [-p VHOST]   (component name value)',
    args: 0,
    run: async (api, [], o, io) => {
      const v = vhostOf(api, o);
      info(o, io, `Listing runtime parameters for vhost "${v}" ...`);
      const rows = (await api.get('/api/parameters')) as Row[];
      if (o.tableHeaders) io.out('component\tname\tvalue');
      for (const r of Array.isArray(rows) ? rows : []) if (r.vhost === v) io.out(`${renderValue(r.component)}\t${renderValue(r.name)}\t${jsonText(r.value)}`);
    },
  },
  set_global_parameter: {
    usage: 'set_global_parameter NAME VALUE',
    args: 2,
    run: async (api, [name, value], o, io) => {
      info(o, io, `Setting global runtime parameter "${name!}" to "${value!}" ...`);
      await api.expectOk('PUT', `/api/global-parameters/${seg(name!)}`, { value: jsonArg(value!) }).catch(unescaped);
    },
  },
  clear_global_parameter: {
    usage: 'clear_global_parameter NAME',
    args: 1,
    run: async (api, [name], o, io) => {
      info(o, io, `Clearing global runtime parameter "${name!}" ...`);
      await api.expectOk('DELETE', `/api/global-parameters/${seg(name!)}`, undefined, { notFound: 'Parameter does not exist' });
    },
  },
  list_global_parameters: {
    usage: 'list_global_parameters   (name value)',
    args: 0,
    run: async (api, [], o, io) => {
      info(o, io, 'Listing global runtime parameters ...');
      const rows = (await api.get('/api/global-parameters')) as Row[];
      if (o.tableHeaders) io.out('name\tvalue');
      for (const r of Array.isArray(rows) ? rows : []) io.out(`${renderValue(r.name)}\t${jsonText(r.value)}`);
    },
  },
};
