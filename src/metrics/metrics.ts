import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import type { ServiceName, RequestRecord } from '../audit/record.js';

/** Request duration buckets in seconds: a small GET is ~0.1 ms, a big transfer minutes. */
export const DURATION_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

type DecisionLabel = 'allow' | 'explicit_deny' | 'implicit_deny' | 'error_before_authorization' | 'cors_preflight';
const SERVICES: readonly ServiceName[] = ['oss', 'ram', 'sts'];

/** Plain numbers for one (service, operation): what a request touches on the hot path. */
class OpCell {
  readonly byStatus = new Map<number, number>();
  /** Non-cumulative counts per bucket; the last slot is +Inf. */
  readonly buckets: number[] = new Array<number>(DURATION_BUCKETS.length + 1).fill(0);
  sum = 0;
  count = 0;
}

const DURATION_NAME = 'alunite_request_duration_seconds';
const DURATION_HELP = 'Time from the request arriving to the response written, by service and operation.';

/**
 * The histogram's exposition built from the cells at scrape time. prom-client's own observe() hashes
 * and validates labels on every call (~1 µs); a request here only adds to plain numbers.
 */
class CellHistogram extends Histogram<'service' | 'operation'> {
  constructor(registry: Registry, private readonly cells: Record<ServiceName, Map<string, OpCell>>) {
    super({
      name: DURATION_NAME,
      help: DURATION_HELP,
      labelNames: ['service', 'operation'],
      buckets: DURATION_BUCKETS,
      registers: [registry],
    });
  }

  /** What the registry renders (and get() splays); prom-client's Histogram reads its own observations here. */
  async getForPromString(): Promise<{ name: string; help: string; type: 'histogram'; aggregator: 'sum'; values: Array<{ labels: Record<string, string | number>; sharedLabels: Record<string, string>; value: number; metricName: string }> }> {
    const values: Array<{ labels: Record<string, string | number>; sharedLabels: Record<string, string>; value: number; metricName: string }> = [];
    for (const service of SERVICES) {
      for (const [operation, cell] of this.cells[service]) {
        const shared = { service, operation };
        let acc = 0;
        DURATION_BUCKETS.forEach((le, i) => {
          acc += cell.buckets[i]!;
          values.push({ labels: { le }, sharedLabels: shared, value: acc, metricName: `${DURATION_NAME}_bucket` });
        });
        values.push({ labels: { le: '+Inf' }, sharedLabels: shared, value: cell.count, metricName: `${DURATION_NAME}_bucket` });
        values.push({ labels: {}, sharedLabels: shared, value: cell.sum, metricName: `${DURATION_NAME}_sum` });
        values.push({ labels: {}, sharedLabels: shared, value: cell.count, metricName: `${DURATION_NAME}_count` });
      }
    }
    return { name: DURATION_NAME, help: DURATION_HELP, type: 'histogram', aggregator: 'sum', values };
  }
}

/**
 * Prometheus metrics of one server instance, in its own Registry (tests run several servers in one
 * process; the global default registry is never used). Requests add to plain numbers; the prom-client
 * metrics read them when scraped (`collect`), so the per-request cost is a few map lookups and additions.
 */
export class ServerMetrics {
  readonly registry = new Registry();
  private readonly cells: Record<ServiceName, Map<string, OpCell>> = { oss: new Map(), ram: new Map(), sts: new Map() };
  private readonly bytesIn: Record<ServiceName, number> = { oss: 0, ram: 0, sts: 0 };
  private readonly bytesOut: Record<ServiceName, number> = { oss: 0, ram: 0, sts: 0 };
  private readonly decisions: Record<DecisionLabel, number> = { allow: 0, explicit_deny: 0, implicit_deny: 0, error_before_authorization: 0, cors_preflight: 0 };
  private stsSessions = 0;

  constructor() {
    const registers = [this.registry];
    const cells = this.cells;
    const requests: Counter<'service' | 'operation' | 'status'> = new Counter({
      name: 'alunite_requests_total',
      help: 'Requests answered, by service (oss, ram, sts), operation and HTTP status.',
      labelNames: ['service', 'operation', 'status'],
      registers,
      collect() {
        requests.reset();
        for (const service of SERVICES) {
          for (const [operation, cell] of cells[service]) {
            for (const [status, n] of cell.byStatus) requests.inc({ service, operation, status }, n);
          }
        }
      },
    });
    new CellHistogram(this.registry, cells);
    const perService = (name: string, help: string, values: Record<ServiceName, number>): void => {
      const c: Counter<'service'> = new Counter({
        name, help, labelNames: ['service'], registers,
        collect() {
          c.reset();
          for (const service of SERVICES) c.inc({ service }, values[service]);
        },
      });
    };
    perService('alunite_bytes_in_total', 'Request body bytes received (as declared by Content-Length; counted for chunked bodies), by service.', this.bytesIn);
    perService('alunite_bytes_out_total', 'Response body bytes sent, by service.', this.bytesOut);
    const decisions = this.decisions;
    const auth: Counter<'result'> = new Counter({
      name: 'alunite_auth_decisions_total',
      help: 'Authorization outcomes: allow, explicit_deny, implicit_deny, error_before_authorization (signature, unknown key, bad request), or cors_preflight (OPTIONS, answered by the bucket\'s CORS rules without credentials).',
      labelNames: ['result'],
      registers,
      collect() {
        auth.reset();
        for (const result of Object.keys(decisions) as DecisionLabel[]) auth.inc({ result }, decisions[result]);
      },
    });
    const sessions: Counter = new Counter({
      name: 'alunite_sts_sessions_issued_total',
      help: 'STS AssumeRole calls that issued credentials.',
      registers,
      collect: () => {
        sessions.reset();
        sessions.inc(this.stsSessions);
      },
    });
    collectDefaultMetrics({ register: this.registry });
  }

  /** Hot path: called once per finished OSS/RAM/STS request. */
  record(rec: RequestRecord): void {
    const service = rec.service;
    if (service === null) return;
    const byOp = this.cells[service];
    let cell = byOp.get(rec.operation);
    if (cell === undefined) {
      cell = new OpCell();
      byOp.set(rec.operation, cell);
    }
    cell.byStatus.set(rec.status, (cell.byStatus.get(rec.status) ?? 0) + 1);
    const seconds = rec.latencyMs / 1000;
    let i = 0;
    while (i < DURATION_BUCKETS.length && seconds > DURATION_BUCKETS[i]!) i++;
    cell.buckets[i]!++;
    cell.sum += seconds;
    cell.count++;
    this.bytesIn[service] += rec.bytesIn;
    this.bytesOut[service] += rec.bytesOut;
    const d = rec.authz?.decision;
    // Browsers send a preflight before most cross-origin requests: never signed, so never an authorization error.
    this.decisions[rec.operation === 'Preflight' ? 'cors_preflight' : d === undefined ? 'error_before_authorization' : d === 'Allow' ? 'allow' : d === 'ExplicitDeny' ? 'explicit_deny' : 'implicit_deny']++;
    if (service === 'sts' && rec.operation === 'AssumeRole' && rec.status === 200) this.stsSessions++;
  }

  /** The exposition text and its content type. */
  async scrape(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
