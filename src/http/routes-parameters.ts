// Policies, operator policies, runtime and global parameters: /api/policies, /api/operator-policies, /api/parameters, /api/global-parameters.
import {
  isVhostLimit,
  parsePolicy,
  PolicyError,
  PolicyFieldMissing,
  policyJson,
  type JsonValue,
  type Policy,
  type PolicyKind,
  type User,
  type VhostLimit,
} from '../broker/index.js';
import { allParameters, parseLimits, type ParameterRow } from '../definitions/index.js';
import { parseShovel, ShovelValidationError } from '../shovel/index.js';
import type { ManagementDeps } from './deps.js';
import { badRequest, created, HttpError, json, keyMissing, noContent, objectNotFound, type Reply } from './http-kit.js';
import { listReply } from './listing.js';
import type { RequestContext, Router } from './router.js';
import { canAccessVhost } from './scope.js';

/** Components of RabbitMQ's plugins Warren keeps (and exports); shovels it also runs (src/shovel/). */
const KEPT_COMPONENTS = new Set(['federation-upstream', 'federation-upstream-set', 'shovel']);

/** RabbitMQ's "Validation failed" reply; its /api/policies handler HTML-escapes the text (operator policies' does not). */
export function validationFailed(reason: string, escape = false): HttpError {
  const text = escape ? reason.replace(/[&<>]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : '&gt;')) : reason;
  return badRequest(`Validation failed\n\n${text}\n`);
}

/** Parses a policy for the API: RabbitMQ's 400s for missing fields and invalid values. */
export function policyFromBody(vhost: string, name: string, kind: PolicyKind, body: Readonly<Record<string, unknown>>): Policy {
  try {
    return parsePolicy(vhost, name, kind, body);
  } catch (e) {
    if (e instanceof PolicyFieldMissing) throw keyMissing(e.key);
    if (e instanceof PolicyError) throw validationFailed(e.reason, kind === 'policy');
    throw e;
  }
}

export function parameterRoutes(router: Router, deps: ManagementDeps): void {
  const { broker } = deps;
  const table = broker.parameters;

  const vhostIn = (ctx: RequestContext): string => {
    const v = ctx.param('vhost');
    if (!broker.vhosts.has(v)) throw objectNotFound();
    return v;
  };
  const policyRows = (kind: PolicyKind, user: User, only?: string) =>
    table.allPolicies(kind).filter((p) => (only === undefined || p.vhost === only) && canAccessVhost(broker, user, p.vhost)).map(policyJson);

  const putPolicy = async (kind: PolicyKind, ctx: RequestContext): Promise<Reply> => {
    const vhost = ctx.param('vhost');
    if (!broker.vhosts.has(vhost)) throw new HttpError(404, 'not_found', 'vhost_not_found');
    const p = policyFromBody(vhost, ctx.param('name'), kind, await ctx.body());
    return table.setPolicy(kind, p) ? created() : noContent();
  };
  const getPolicy = (kind: PolicyKind, ctx: RequestContext): Reply => {
    const p = table.getPolicy(kind, vhostIn(ctx), ctx.param('name'));
    if (!p) throw objectNotFound();
    return json(policyJson(p));
  };
  const deletePolicy = (kind: PolicyKind, ctx: RequestContext): Reply => {
    if (!table.clearPolicy(kind, vhostIn(ctx), ctx.param('name'))) throw objectNotFound();
    return noContent();
  };

  // ---- policies: listed to any management user (for the vhosts they may use), managed by policymakers
  router
    .get('/api/policies', (ctx) => listReply(policyRows('policy', ctx.user), ctx.query), 'management')
    .get('/api/policies/:vhost', (ctx) => listReply(policyRows('policy', ctx.user, vhostIn(ctx)), ctx.query))
    .get('/api/policies/:vhost/:name', (ctx) => getPolicy('policy', ctx), 'policymaker')
    .put('/api/policies/:vhost/:name', (ctx) => putPolicy('policy', ctx), 'policymaker')
    .delete('/api/policies/:vhost/:name', (ctx) => deletePolicy('policy', ctx), 'policymaker')
    // ---- operator policies: listed likewise, one read or changed by administrators only
    .get('/api/operator-policies', (ctx) => listReply(policyRows('operator_policy', ctx.user), ctx.query), 'management')
    .get('/api/operator-policies/:vhost', (ctx) => listReply(policyRows('operator_policy', ctx.user, vhostIn(ctx)), ctx.query))
    .get('/api/operator-policies/:vhost/:name', (ctx) => getPolicy('operator_policy', ctx), 'administrator')
    .put('/api/operator-policies/:vhost/:name', (ctx) => putPolicy('operator_policy', ctx), 'administrator')
    .delete('/api/operator-policies/:vhost/:name', (ctx) => deletePolicy('operator_policy', ctx), 'administrator');

  // ---- runtime parameters (RabbitMQ lists user policies only under their own component)
  const parameterRows = (ctx: RequestContext): ParameterRow[] => {
    const component = ctx.optionalParam('component');
    const vhost = ctx.optionalParam('vhost');
    if (vhost !== undefined && !broker.vhosts.has(vhost)) throw objectNotFound();
    return allParameters(broker).filter(
      (r) =>
        (component === undefined ? r.component !== 'policy' : r.component === component) &&
        (vhost === undefined || r.vhost === vhost) &&
        canAccessVhost(broker, ctx.user, r.vhost),
    );
  };
  router
    .get('/api/parameters', (ctx) => listReply(parameterRows(ctx), ctx.query), 'policymaker')
    .get('/api/parameters/:component', (ctx) => listReply(parameterRows(ctx), ctx.query), 'policymaker')
    .get('/api/parameters/:component/:vhost', (ctx) => listReply(parameterRows(ctx), ctx.query), 'policymaker')
    .get('/api/parameters/:component/:vhost/:name', (ctx) => {
      const name = ctx.param('name');
      const row = parameterRows(ctx).find((r) => r.name === name);
      if (!row) throw objectNotFound();
      return json(row);
    }, 'policymaker')
    .put('/api/parameters/:component/:vhost/:name', async (ctx) => {
      const component = ctx.param('component');
      const vhost = ctx.param('vhost');
      const name = ctx.param('name');
      if (!broker.vhosts.has(vhost)) throw new HttpError(404, 'not_found', 'vhost_not_found');
      const body = await ctx.body();
      if (!('value' in body)) throw keyMissing('value');
      const value = body.value as JsonValue;
      if (component === 'policy' || component === 'operator_policy') {
        if (component === 'operator_policy' && !ctx.user.tags.includes('administrator')) throw new HttpError(401, 'not_authorised', 'Not administrator user');
        const fields = typeof value === 'object' && value !== null && !Array.isArray(value) ? value : {};
        return table.setPolicy(component, policyFromBody(vhost, name, component, fields)) ? created() : noContent();
      }
      if (component === 'vhost-limits') {
        const limits = parseLimits(value, `limits of vhost '${vhost}'`, isVhostLimit, 'Validation failed\n\n') as Array<[VhostLimit, number]>;
        const isNew = broker.limits.ofVhost(vhost).size === 0;
        for (const [limit] of broker.limits.ofVhost(vhost)) broker.limits.clearVhost(vhost, limit);
        for (const [limit, v] of [...limits].reverse()) broker.limits.setVhost(vhost, limit, v);
        broker.accessChanged();
        return isNew ? created() : noContent();
      }
      if (!KEPT_COMPONENTS.has(component)) throw validationFailed(`component ${component} not found`);
      if (component === 'shovel') {
        try {
          parseShovel(name, value);
        } catch (e) {
          if (e instanceof ShovelValidationError) throw validationFailed(e.message, true);
          throw e;
        }
      }
      return table.setParameter({ vhost, component, name, value }) ? created() : noContent();
    }, 'policymaker')
    .delete('/api/parameters/:component/:vhost/:name', (ctx) => {
      const component = ctx.param('component');
      const vhost = vhostIn(ctx);
      const name = ctx.param('name');
      let found: boolean;
      if (component === 'policy' || component === 'operator_policy') found = table.clearPolicy(component, vhost, name);
      else if (component === 'vhost-limits') {
        found = broker.limits.ofVhost(vhost).size > 0;
        for (const [limit] of broker.limits.ofVhost(vhost)) broker.limits.clearVhost(vhost, limit);
        if (found) broker.accessChanged();
      } else found = table.clearParameter(vhost, component, name);
      if (!found) throw objectNotFound();
      return noContent();
    }, 'policymaker');

  // ---- global parameters
  router
    .get('/api/global-parameters', (ctx) => listReply(table.globalParameters().map(([name, value]) => ({ name, value })), ctx.query), 'policymaker')
    .get('/api/global-parameters/:name', (ctx) => {
      const name = ctx.param('name');
      const value = table.getGlobal(name);
      if (value === undefined) throw objectNotFound();
      return json({ value, name });
    }, 'policymaker')
    .put('/api/global-parameters/:name', async (ctx) => {
      const body = await ctx.body();
      if (!('value' in body)) throw keyMissing('value');
      return table.setGlobal(ctx.param('name'), body.value as JsonValue) ? created() : noContent();
    }, 'policymaker')
    .delete('/api/global-parameters/:name', (ctx) => {
      if (!table.clearGlobal(ctx.param('name'))) throw objectNotFound();
      return noContent();
    }, 'policymaker');
}
