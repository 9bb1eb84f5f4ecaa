import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCandidate, selectedPair } from '../../client/peer/ice-candidates.js';

test('parseCandidate reads address, port, type and base, with or without a=', () => {
  assert.deepEqual(parseCandidate('a=candidate:842163049 1 udp 1677729535 198.18.0.11 61001 typ srflx raddr 198.19.1.2 rport 50000 generation 0'), {
    protocol: 'udp', address: '198.18.0.11', port: 61_001, type: 'srflx', raddr: '198.19.1.2', rport: 50_000,
  });
  assert.deepEqual(parseCandidate('candidate:1 1 UDP 2122260223 198.18.0.1 50000 typ host'), { protocol: 'udp', address: '198.18.0.1', port: 50_000, type: 'host' });
  assert.equal(parseCandidate('candidate:1 1 udp 1 198.18.0.1 5 typ bogus'), undefined);
  assert.equal(parseCandidate('not a candidate'), undefined);
  assert.equal(parseCandidate(''), undefined);
});

/** A getStats() report as a Map, the shape RTCStatsReport has. */
function report(entries: Record<string, unknown>[]): Map<string, unknown> {
  return new Map(entries.map((e) => [e.id as string, e]));
}
const candidates = [
  { id: 'L1', type: 'local-candidate', candidateType: 'host' },
  { id: 'L2', type: 'local-candidate', candidateType: 'relay' },
  { id: 'R1', type: 'remote-candidate', candidateType: 'srflx' },
  { id: 'R2', type: 'remote-candidate', candidateType: 'prflx' },
];

test('selectedPair follows the transport\'s selectedCandidatePairId (Chromium)', () => {
  const stats = report([
    ...candidates,
    { id: 'P1', type: 'candidate-pair', localCandidateId: 'L1', remoteCandidateId: 'R1', state: 'succeeded', nominated: true },
    { id: 'P2', type: 'candidate-pair', localCandidateId: 'L2', remoteCandidateId: 'R2', state: 'succeeded', nominated: true },
    { id: 'T', type: 'transport', selectedCandidatePairId: 'P2' },
  ]);
  assert.deepEqual(selectedPair(stats), { local: 'relay', remote: 'prflx' });
});

test('selectedPair takes a pair flagged selected (Firefox), else a nominated succeeded pair', () => {
  assert.deepEqual(selectedPair(report([
    ...candidates,
    { id: 'P1', type: 'candidate-pair', localCandidateId: 'L1', remoteCandidateId: 'R1', state: 'succeeded', nominated: true },
    { id: 'P2', type: 'candidate-pair', localCandidateId: 'L2', remoteCandidateId: 'R1', state: 'succeeded', selected: true },
  ])), { local: 'relay', remote: 'srflx' });
  assert.deepEqual(selectedPair(report([
    ...candidates,
    { id: 'P0', type: 'candidate-pair', localCandidateId: 'L2', remoteCandidateId: 'R2', state: 'failed', nominated: true },
    { id: 'P1', type: 'candidate-pair', localCandidateId: 'L1', remoteCandidateId: 'R1', state: 'succeeded', nominated: true },
  ])), { local: 'host', remote: 'srflx' });
});

test('selectedPair: nothing selected, or candidates missing, gives what is known', () => {
  assert.deepEqual(selectedPair(report([...candidates, { id: 'P1', type: 'candidate-pair', localCandidateId: 'L1', remoteCandidateId: 'R1', state: 'in-progress' }])), {});
  assert.deepEqual(selectedPair(new Map()), {});
  assert.deepEqual(selectedPair(report([
    { id: 'L1', type: 'local-candidate', candidateType: 'host' },
    { id: 'P1', type: 'candidate-pair', localCandidateId: 'L1', remoteCandidateId: 'gone', state: 'succeeded', nominated: true },
  ])), { local: 'host' });
});
