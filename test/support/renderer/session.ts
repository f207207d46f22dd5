/**
 * Component tests on a fake node: a Session over it, started as App starts its own, and stopped when the
 * test finishes (its event subscription would otherwise outlive the test and hear the next one's node).
 */
import { render, type RenderResult } from '@testing-library/svelte';
import type { Component } from 'svelte';
import { onTestFinished } from 'vitest';
import { Session } from '../../../src-renderer/app/session.svelte';
import type { FakeApi } from './fake-api';

/** A started Session on `api`, stopped when the current test finishes. */
export function startSession(api: FakeApi): Session {
  const session = new Session(api);
  onTestFinished(session.start());
  return session;
}

/** Renders a page or card, given `props` and a started Session on `fake` (stopped when the test finishes). */
export function renderOnSession<P extends { session: Session }>(component: Component<P>, fake: FakeApi, props: Omit<P, 'session'>): RenderResult<Component<P>> {
  return render(component, { ...props, session: startSession(fake) } as P);
}
