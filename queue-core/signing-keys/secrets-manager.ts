/**
 * The two Secrets Manager calls Anteroom makes, as commands shaped like the AWS SDK's (`input`,
 * the same class names), so a client can be the SDK's `SecretsManagerClient` or anything
 * smaller: the Lambda functions sign their one call themselves (`provider/lambda/secrets-manager.ts`),
 * because importing the SDK client costs a cold start about 100 ms; tests pass a fake.
 */

export class GetSecretValueCommand {
  readonly input: { SecretId: string };
  constructor(input: { SecretId: string }) {
    this.input = input;
  }
}

export class PutSecretValueCommand {
  readonly input: { SecretId: string; SecretString: string };
  constructor(input: { SecretId: string; SecretString: string }) {
    this.input = input;
  }
}

/** What Anteroom asks of a Secrets Manager client. */
export interface SecretsManagerLike {
  send(command: GetSecretValueCommand): Promise<{ SecretString?: string | undefined }>;
  send(command: PutSecretValueCommand): Promise<unknown>;
}

/**
 * The AWS SDK's client behind that interface (`anteroom keys` on an operator's machine, with the
 * SDK's credential chain), loaded on its first call.
 */
export function sdkSecretsManager(region: string | undefined): SecretsManagerLike {
  let client: import('@aws-sdk/client-secrets-manager').SecretsManagerClient | undefined;
  const send = async (command: GetSecretValueCommand | PutSecretValueCommand) => {
    const sdk = await import('@aws-sdk/client-secrets-manager');
    client ??= new sdk.SecretsManagerClient(region === undefined ? {} : { region });
    return command instanceof PutSecretValueCommand
      ? client.send(new sdk.PutSecretValueCommand(command.input))
      : client.send(new sdk.GetSecretValueCommand(command.input));
  };
  return { send } as SecretsManagerLike;
}
