/**
 * The adaptive inlet on AWS (API.md section 7): which origin signals the deployment can reach,
 * and the CloudWatch metrics it forwards as pushed readings.
 *
 * The scheduled function steps the controllers. It sits in the VPC with the queue store, and by
 * default that VPC has no NAT gateway: it can reach AWS services through endpoints and nothing
 * else, so a probe or a Prometheus signal would read nothing and hold every adaptive event at
 * its minimum. Synth refuses that, naming why. With NAT gateways, the ports those signals use
 * (other than 443, always open) get an egress rule on the scheduled function alone.
 *
 * `originHealth` forwards CloudWatch metrics (an ALB's `TargetResponseTime`, the 5xx and request
 * counts, or any metric) to `POST /origin_health` for events whose signal is `push`: a small
 * function outside the VPC reads them every minute, and at once when the alarm the stack puts on
 * the latency metric changes state.
 */

import { ValidationError } from '../../queue-core/errors.ts';
import type { EventSettings } from '../../queue-core/types.ts';
import type { NetworkConfig } from './config.ts';

export interface MetricSpec {
  namespace: string;
  metricName: string;
  dimensions: Record<string, string>;
  /** `p95` (the default for latency), `Average`, `Sum` (the default for counts), `Maximum`… */
  statistic: string;
}

export interface OriginHealthConfig {
  eventId: string;
  /** The origin's p95 latency, in `latencyUnit`. */
  latency: MetricSpec;
  latencyUnit: 'Seconds' | 'Milliseconds';
  /** Failed requests and all requests (counts over each minute): error rate = errors / requests. */
  errors?: MetricSpec;
  requests?: MetricSpec;
  /** The event's latency target, in `latencyUnit`: the alarm's threshold. */
  alarmThreshold: number;
}

/** CloudWatch metrics have one value a minute: a pushed reading arrives once a minute. */
export const FORWARD_EVERY_SECONDS = 60;

/**
 * The ports the scheduled function must reach for the events' probe and Prometheus signals,
 * beyond 443. Throws, naming the field, when the network cannot reach them at all.
 */
export function signalEgressPorts(events: readonly EventSettings[], network: NetworkConfig): number[] {
  const ports = new Set<number>();
  events.forEach((event, index) => {
    const inlet = event.inlet;
    if (inlet.type !== 'adaptive' || inlet.signal.type === 'push') return;
    const field = `app.events[${index}].inlet.signal.url`;
    const url = new URL(inlet.signal.url);
    if (network.natGateways === 0) {
      throw new ValidationError(
        field,
        `${field}: the scheduled function that reads the ${inlet.signal.type} signal runs in a VPC without a NAT gateway ` +
          `(network.natGateways is 0), so it cannot reach ${url.host}; set network.natGateways to 1 or more, ` +
          'or use {"type": "push"} and forward CloudWatch metrics to it with originHealth',
        'signal_unreachable',
      );
    }
    const port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
    if (port !== 443) ports.add(port);
  });
  return [...ports].sort((a, b) => a - b);
}

/** `originHealth`: an array of `{"eventId", "latency", "latencyUnit"?, "errors"?, "requests"?}`. */
export function parseOriginHealth(raw: unknown, events: readonly EventSettings[]): OriginHealthConfig[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) throw new ValidationError('originHealth', 'originHealth must be an array');
  const seen = new Set<string>();
  return raw.map((entry, index) => {
    const field = `originHealth[${index}]`;
    const input = object(entry, field);
    for (const key of Object.keys(input)) {
      if (!['eventId', 'latency', 'latencyUnit', 'errors', 'requests'].includes(key)) {
        throw new ValidationError(`${field}.${key}`, `unknown key ${field}.${key}`);
      }
    }
    const eventId = input['eventId'];
    const event = events.find((candidate) => candidate.id === eventId);
    if (typeof eventId !== 'string' || event === undefined) {
      throw new ValidationError(`${field}.eventId`, `${field}.eventId must name one of app.events`);
    }
    if (seen.has(eventId))
      throw new ValidationError(`${field}.eventId`, `${field}.eventId ${eventId} is listed twice`);
    seen.add(eventId);
    const inlet = event.inlet;
    if (inlet.type !== 'adaptive' || inlet.signal.type !== 'push') {
      throw new ValidationError(
        `${field}.eventId`,
        `${field}: event ${eventId} must have an adaptive inlet with signal {"type": "push"} to take forwarded readings`,
      );
    }
    // One reading a minute, and the controller falls to its minimum after three intervals without one.
    if (3 * inlet.intervalSeconds < FORWARD_EVERY_SECONDS) {
      throw new ValidationError(
        `${field}.eventId`,
        `${field}: event ${eventId} steps every ${inlet.intervalSeconds} s, but CloudWatch readings come once a minute: ` +
          `set its inlet.intervalSeconds to ${FORWARD_EVERY_SECONDS / 3} or more, or it would keep falling to its minimum`,
      );
    }
    const latencyUnit = input['latencyUnit'] ?? 'Milliseconds';
    if (latencyUnit !== 'Seconds' && latencyUnit !== 'Milliseconds') {
      throw new ValidationError(
        `${field}.latencyUnit`,
        `${field}.latencyUnit must be Seconds or Milliseconds`,
      );
    }
    if ((input['errors'] === undefined) !== (input['requests'] === undefined)) {
      throw new ValidationError(
        `${field}.errors`,
        `${field}: errors and requests go together (error rate = errors / requests)`,
      );
    }
    return {
      eventId,
      latency: metric(input['latency'], `${field}.latency`, 'p95'),
      latencyUnit,
      ...(input['errors'] === undefined
        ? {}
        : {
            errors: metric(input['errors'], `${field}.errors`, 'Sum'),
            requests: metric(input['requests'], `${field}.requests`, 'Sum'),
          }),
      alarmThreshold: latencyUnit === 'Seconds' ? inlet.target.latencyMs / 1000 : inlet.target.latencyMs,
    };
  });
}

const NAME = /^[A-Za-z0-9 _./#:-]{1,255}$/;
const STATISTIC = /^(SampleCount|Average|Sum|Minimum|Maximum|p\d{1,2}(\.\d{1,2})?)$/;

function metric(raw: unknown, field: string, defaultStatistic: string): MetricSpec {
  const input = object(raw, field);
  for (const key of Object.keys(input)) {
    if (!['namespace', 'metricName', 'dimensions', 'statistic'].includes(key)) {
      throw new ValidationError(`${field}.${key}`, `unknown key ${field}.${key}`);
    }
  }
  const text = (key: string, shape: RegExp, fallback?: string): string => {
    const value = input[key] ?? fallback;
    if (typeof value !== 'string' || !shape.test(value)) {
      throw new ValidationError(`${field}.${key}`, `${field}.${key} must match ${shape.source}`);
    }
    return value;
  };
  const dimensions =
    input['dimensions'] === undefined ? {} : object(input['dimensions'], `${field}.dimensions`);
  for (const [name, value] of Object.entries(dimensions)) {
    if (!NAME.test(name) || typeof value !== 'string' || value.length === 0 || value.length > 1024) {
      throw new ValidationError(
        `${field}.dimensions.${name}`,
        `${field}.dimensions.${name} must be a non-empty string`,
      );
    }
  }
  return {
    namespace: text('namespace', NAME),
    metricName: text('metricName', NAME),
    dimensions: dimensions as Record<string, string>,
    statistic: text('statistic', STATISTIC, defaultStatistic),
  };
}

function object(value: unknown, field: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ValidationError(field, `${field} must be a JSON object`);
  }
  return value as Record<string, unknown>;
}
