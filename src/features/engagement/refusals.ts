// What an inbox action could not do, as words for the person: our own checks (hidden comment,
// closed window, text too long) and Instagram's refusals, which carry its explanation keys.
import { AppError } from '../../errors.js';
import { GraphError } from '../../instagram/graph-error.js';

/** An action refused; handlers show `key` (and `titleKey`) next to the form that asked. */
export class ActionRefused extends AppError {
  constructor(
    messageKey: string,
    params: Record<string, string | number> = {},
    readonly titleKey = 'engagement.refused.title',
  ) {
    super(422, messageKey, params);
  }
}

/** Instagram's refusal in the same shape; the caller has already updated the cache where it learned something. */
export function refusalOf(error: GraphError): ActionRefused {
  const { title, text, params } = error.explanationKeys();
  return new ActionRefused(text, params, title);
}

export function isGraphError(error: unknown): error is GraphError {
  return error instanceof GraphError;
}

/** Graph's "object does not exist" (code 100, subcode 33) or its 803 alias. */
export function isGone(error: GraphError): boolean {
  return (error.code === 100 && error.subcode === 33) || error.code === 803 || /does not exist|cannot be loaded|nonexisting/i.test(error.message);
}
