// Prometheus metrics at /metrics. The GraphQL series keep the names (and the
// labels) of graphql-yoga's Prometheus plugin, which Herald used to run; they
// are now counted from the one record of each request (./request-log.ts), as
// plain increments when its response is written, rather than by a plugin of
// their own with its hooks in every phase (about 0.03 ms of CPU a request,
// measured by the bench's ablation table).
import type { Plugin } from 'graphql-yoga';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { pathOf } from '../request-state.ts';
import type { RequestRecord } from './request-log.ts';

const OPERATION = ['operationType', 'operationName'] as const;

/** Prometheus metrics: the GraphQL series, deliveries and open inbox streams; others register in `registry`. */
export function createMetrics(streams: { readonly size: number }) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const sendRecipients = new Counter({
    name: 'herald_send_recipients_total',
    help: 'Recipients reached by send (one per delivery written)',
    registers: [registry],
  });
  new Gauge({
    name: 'herald_inbox_streams',
    help: 'Open inbox streams (SSE and WebSocket subscriptions) on this instance',
    registers: [registry],
    collect() {
      this.set(streams.size);
    },
  });
  const requests = new Counter({
    name: 'graphql_envelop_request',
    help: 'GraphQL operations executed (or subscribed to), by operation',
    labelNames: OPERATION,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'graphql_envelop_request_duration',
    help: "Seconds spent executing GraphQL operations, by operation (not subscriptions' streams)",
    labelNames: OPERATION,
    registers: [registry],
  });
  const errors = new Counter({
    name: 'graphql_envelop_error_result',
    help: 'GraphQL errors by phase (execute, subscribe, or request: refused before execution), operation and extensions.code',
    labelNames: ['phase', 'operationName', 'operationType', 'code'],
    registers: [registry],
  });
  const http = new Histogram({
    name: 'graphql_yoga_http_duration',
    help: 'Seconds from a GraphQL request to its response, by operation, method, status and path',
    labelNames: ['operationName', 'operationType', 'method', 'statusCode', 'url'],
    registers: [registry],
  });

  /** Counts one GraphQL request (a sink of useRequestRecord). */
  const observe = (record: RequestRecord) => {
    const operationName = record.operation ?? 'Anonymous';
    const operationType = record.operationType ?? 'unknown';
    const operation = { operationType, operationName };
    if (record.operation) {
      requests.inc(operation);
      if (record.executionMs !== undefined) duration.observe(operation, record.executionMs / 1000);
    }
    for (const code of record.errors ?? []) errors.inc({ phase: record.errorPhase ?? 'request', operationName, operationType, code });
    http.observe(
      { operationName, operationType, method: record.method, statusCode: record.status, url: record.path },
      record.durationMs / 1000,
    );
  };

  /** Serves /metrics (any other request passes at once, without a promise). */
  const plugin: Plugin = {
    onRequest({ request, endResponse, fetchAPI }) {
      if (pathOf(request.url) !== '/metrics') return;
      return registry
        .metrics()
        .then((body) => endResponse(new fetchAPI.Response(body, { headers: { 'content-type': registry.contentType } })));
    },
  };
  return { registry, plugin, observe, sendRecipients };
}

export type Metrics = ReturnType<typeof createMetrics>;
