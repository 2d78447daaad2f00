import { render, screen, fireEvent } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import SignIn from './SignIn.svelte';

describe('SignIn', () => {
  it('starts from the remembered server and user and signs in with a password', async () => {
    const onSubmit = vi.fn();
    const { container } = render(SignIn, {
      error: null,
      busy: false,
      settings: { serverUrl: 'ws://chat.example:8080', lastUser: 'alice' },
      onSubmit,
    });
    const server = container.querySelector<HTMLInputElement>('input[name=server]')!;
    const user = container.querySelector<HTMLInputElement>('input[name=user]')!;
    expect(server.value).toBe('ws://chat.example:8080');
    expect(user.value).toBe('alice');
    await fireEvent.input(container.querySelector('input[name=password]')!, { target: { value: 'pw' } });
    await fireEvent.submit(container.querySelector('form')!);
    expect(onSubmit).toHaveBeenCalledWith({
      serverUrl: 'ws://chat.example:8080', userId: 'alice', password: 'pw', userSig: undefined, createAccount: false,
    });
  });

  it('signs in with a UserSig on the built-in server', async () => {
    const onSubmit = vi.fn();
    const { container } = render(SignIn, { error: 'wrong (70003)', busy: false, onSubmit });
    expect(screen.getByRole('alert').textContent).toBe('wrong (70003)');
    await fireEvent.input(container.querySelector('input[name=user]')!, { target: { value: ' bob ' } });
    await fireEvent.click(screen.getByLabelText('UserSig'));
    await fireEvent.input(container.querySelector('textarea[name=usersig]')!, { target: { value: 'eJw-sig ' } });
    await fireEvent.submit(container.querySelector('form')!);
    expect(onSubmit).toHaveBeenCalledWith({
      serverUrl: null, userId: 'bob', password: undefined, userSig: 'eJw-sig', createAccount: false,
    });
  });
});
