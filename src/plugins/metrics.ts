import { createCounter, usePrometheus } from '@graphql-yoga/plugin-prometheus';
import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';

/** Prometheus metrics at /metrics, from the Yoga/Envelop plugin, plus Herald's own: deliveries and open inbox streams. */
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
  const plugin = usePrometheus({
    registry,
    endpoint: '/metrics',
    // What the README lists, and nothing else: the plugin's other defaults cost every
    // request a walk of its document (deprecated fields), a summary's quantiles and a
    // histogram per phase, which nobody reads.
    metrics: {
      graphql_envelop_request: true,
      graphql_envelop_request_duration: true,
      graphql_yoga_http_duration: true,
      graphql_envelop_deprecated_field: false,
      graphql_envelop_request_time_summary: false,
      graphql_envelop_phase_parse: false,
      graphql_envelop_phase_validate: false,
      graphql_envelop_phase_context: false,
      graphql_envelop_phase_execute: false,
      graphql_envelop_phase_subscribe: false,
      graphql_envelop_schema_change: false,
      graphql_envelop_error_result: createCounter({
        registry,
        counter: {
          name: 'graphql_envelop_error_result',
          help: 'GraphQL errors by phase, operation and extensions.code',
          labelNames: ['phase', 'operationName', 'operationType', 'code'],
        },
        fillLabelsFn: (params) => ({
          phase: params.errorPhase ?? 'unknown',
          operationName: params.operationName ?? 'Anonymous',
          operationType: params.operationType ?? 'unknown',
          code: String(params.error?.extensions?.code ?? 'INTERNAL_SERVER_ERROR'),
        }),
      }),
    },
  });
  return { registry, plugin, sendRecipients };
}

export type Metrics = ReturnType<typeof createMetrics>;
