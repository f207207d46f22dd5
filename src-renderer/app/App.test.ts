import { fireEvent, render, screen } from '@testing-library/svelte';
import { afterEach, describe, expect, it } from 'vitest';
import App from './App.svelte';
import { ROUTES, routeFromHash } from './router.svelte';

afterEach(() => {
  window.location.hash = '';
});

describe('App', () => {
  it('renders the brand, all nav links and the default page', () => {
    render(App);

    expect(screen.getByRole('heading', { level: 1, name: 'Synod' })).toBeTruthy();
    const nav = screen.getByRole('navigation', { name: 'Main' });
    const links = ROUTES.map((route) => screen.getByRole('link', { name: route.title }));
    expect(links.map((link) => link.getAttribute('href'))).toEqual([
      '#/timeline',
      '#/people',
      '#/peers',
      '#/inspector',
      '#/cluster',
    ]);
    expect(links.every((link) => nav.contains(link))).toBe(true);
    expect(screen.getByRole('heading', { level: 2 }).textContent).toBe('Timeline');
    expect(screen.getByRole('link', { name: 'Timeline' }).getAttribute('aria-current')).toBe('page');
  });

  it('switches page when a nav link is clicked', async () => {
    render(App);

    await fireEvent.click(screen.getByRole('link', { name: 'Peers' }));

    expect((await screen.findByRole('heading', { level: 2, name: 'Peers' })).textContent).toBe('Peers');
    expect(screen.getByRole('link', { name: 'Peers' }).getAttribute('aria-current')).toBe('page');
    expect(screen.getByRole('link', { name: 'Timeline' }).getAttribute('aria-current')).toBeNull();
  });
});

describe('routeFromHash', () => {
  it('parses hashes and falls back to the timeline', () => {
    expect(routeFromHash('#/people').id).toBe('people');
    expect(routeFromHash('#cluster').id).toBe('cluster');
    expect(routeFromHash('#/inspector/slot/3').id).toBe('inspector');
    expect(routeFromHash('').id).toBe('timeline');
    expect(routeFromHash('#/nope').id).toBe('timeline');
  });
});
