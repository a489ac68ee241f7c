import { describe, expect, it } from 'vitest';
import { ApiError, pointerToPath, toProblem } from './problem.ts';

describe('problem details in the web app', () => {
  it('binds validation errors to form fields by their JSON Pointer', () => {
    const err = new ApiError(
      toProblem(400, {
        type: '/problems/validation-error',
        title: 'The request is not valid',
        status: 400,
        detail: 'body/siret is not a valid SIRET',
        errors: [
          { in: 'body', pointer: '/siret', detail: 'is not a valid SIRET (14 digits, checksum)' },
          { in: 'body', pointer: '/addresses/0/city', detail: 'is required' },
          { in: 'body', pointer: '/siret', detail: 'is too short' },
          { in: 'query', pointer: '/limit', detail: 'must be ≤ 200' },
        ],
      }),
    );
    expect(err.kind).toBe('validation-error');
    expect(err.message).toBe('body/siret is not a valid SIRET');
    expect(err.fieldErrors()).toEqual({
      siret: 'is not a valid SIRET (14 digits, checksum); is too short',
      'addresses.0.city': 'is required',
    });
    expect(err.fieldErrors('query')).toEqual({ limit: 'must be ≤ 200' });
  });

  it('unescapes JSON Pointer segments', () => {
    expect(pointerToPath('/a~1b/c~0d')).toBe('a/b.c~d');
    expect(pointerToPath('/')).toBe('');
  });

  it('turns a body that is not a problem into a generic one', () => {
    expect(toProblem(502, '<html>Bad gateway</html>', 'Bad Gateway')).toEqual({
      type: '/problems/unexpected-response',
      title: 'Bad Gateway',
      status: 502,
      errors: [],
    });
    expect(toProblem(0, null, 'Failed to fetch').type).toBe('/problems/network-error');
  });
});
