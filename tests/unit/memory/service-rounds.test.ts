/**
 * The learner service (as the worker runs it, in Node) on a full disk and beside another tab: a round that cannot
 * commit changes no object store, says how to make room, and works again once space is freed, without a restart;
 * two tabs learning from the same round never lose one: the second is refused, told, reloaded, and learns again.
 */
import 'fake-indexeddb/auto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../../src/app/protocol';
import { DiskFiller, digestStores } from '../../../lab/fixtures/memory/full-disk';
import type { LearnerService } from '../../../src/app/worker/service';
import { useWasmBackend } from '../support/setup-wasm';
import { openService, predictedName, QUICK, teach } from '../support/service-harness';

const filler = new DiskFiller();
beforeAll(async () => {
  await useWasmBackend();
  filler.install();
});
afterAll(() => filler.uninstall());

/** The service's open database (the test reads it directly). */
const dbOf = (service: LearnerService) => (service as unknown as { store: { db: Parameters<typeof digestStores>[0] } }).store.db;
/**
 * The memory's packed snapshot is a load cache written ~0.4 s after a round, in its own transaction: the digest
 * "before" must be taken after it, or a late pack write reads as a change made by the failed round.
 */
const packWritten = (service: LearnerService) => (service as unknown as { memory: { packed(): Promise<void> } }).memory.packed();

describe('a round on a full disk', () => {
  it('changes nothing, says how to make room, and commits once space is freed, without a restart', async () => {
    const { service } = await openService(`svc-full-${Date.now()}`);
    try {
      await teach(service, 'Red', 'red');
      await teach(service, 'Green', 'green');
      await service.learn(QUICK);
      await teach(service, 'Blue', 'blue');
      await packWritten(service);
      const before = await digestStores(dbOf(service));
      for (const at of [1, 2, 5]) {
        filler.fillFrom(at);
        const error = await service.learn(QUICK).catch((e: unknown) => e);
        filler.free();
        expect(error).toBeInstanceOf(AppError);
        expect((error as AppError).code).toBe('storage-full');
        expect((error as Error).message).toMatch(/^Storage is full: could not save the learning round/);
        expect(await digestStores(dbOf(service))).toEqual(before);
        expect(service.status().rounds).toBe(1);
      }
      expect((await service.learn(QUICK)).round).toBe(2);
      expect(await predictedName(service, 'blue')).toBe('Blue');
    } finally {
      service.dispose();
    }
  }, 120_000);
});

describe('two tabs of one project', () => {
  it('the second writer is refused, told and reloaded; it learns again and both tabs end with both rounds', async () => {
    const name = `svc-tabs-${Date.now()}`;
    const a = await openService(name);
    await teach(a.service, 'Red', 'red');
    await teach(a.service, 'Green', 'green');
    await a.service.learn(QUICK);
    // Tab B opens on round 1, before A learns Cat.
    const b = await openService(name);
    try {
      await teach(a.service, 'Cat', 'blue');
      await teach(b.service, 'Dog', 'yellow');
      const slow = { preset: 'balanced' as const, advanced: { ...QUICK.advanced, laterEpochs: 400 } };
      const [ra, rb] = await Promise.all([a.service.learn(QUICK), b.service.learn(slow).catch((e: unknown) => e)]);
      expect(ra.round).toBe(2);
      expect(rb).toBeInstanceOf(AppError);
      expect((rb as AppError).code).toBe('project-changed');
      expect((rb as Error).message).toMatch(/another Retain tab changed this project/i);
      // B already shows A's round, and Dog is still waiting to be learned.
      expect(b.service.status().rounds).toBe(2);
      expect(b.service.status().classes.map((c) => `${c.name}:${c.learned}`)).toEqual(['Red:true', 'Green:true', 'Cat:true', 'Dog:false']);
      expect((await b.service.learn(QUICK)).round).toBe(3);
      // A hears B's round and re-reads the project by itself.
      await expect.poll(() => a.service.status().rounds, { timeout: 10_000 }).toBe(3);
      expect(a.events.some((e) => e.type === 'project-reloaded' && e.cause === 'other-tab-round')).toBe(true);
      for (const { service } of [a, b]) {
        expect(await predictedName(service, 'blue')).toBe('Cat');
        expect(await predictedName(service, 'yellow')).toBe('Dog');
        expect((await service.metrics()).taskNames).toEqual(['Red, Green', 'Cat', 'Dog']);
      }
    } finally {
      a.service.dispose();
      b.service.dispose();
    }
  }, 120_000);

  it("a reset in one tab reopens the other on the empty project and tells it", async () => {
    const name = `svc-reset-${Date.now()}`;
    const a = await openService(name);
    const b = await openService(name);
    try {
      await teach(a.service, 'Red', 'red', 2);
      await expect.poll(() => b.service.status().classes.length, { timeout: 10_000 }).toBe(1);
      await a.service.reset();
      await expect.poll(() => b.events.some((e) => e.type === 'project-reloaded' && e.cause === 'other-tab-reset'), { timeout: 10_000 }).toBe(true);
      expect(b.service.status().classes).toEqual([]);
      // B works on the fresh project.
      expect((await b.service.addClass('Blue')).name).toBe('Blue');
    } finally {
      a.service.dispose();
      b.service.dispose();
    }
  }, 60_000);
});
