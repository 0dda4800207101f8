/** Every prompt's page, by prompt name: the record is complete, so a new prompt cannot lack a page. */
import type { PromptName } from '../../checks/check.js';
import { consentPage } from './consent.js';
import { credentialsPage } from './credentials.js';
import { loginCodePage } from './login_code.js';
import { newPasswordPage } from './new_password.js';
import { onboardingPage } from './onboarding.js';
import { verifyEmailPage } from './verify_email.js';
import type { PromptPage } from './prompt.js';
import { secondFactorPage } from './second_factor.js';
import { secondFactorSetupPage } from './second_factor_setup.js';

export const PROMPT_PAGES: Record<PromptName, PromptPage> = {
  credentials: credentialsPage,
  'login-code': loginCodePage,
  'new-password': newPasswordPage,
  'second-factor': secondFactorPage,
  'second-factor-setup': secondFactorSetupPage,
  consent: consentPage,
  onboarding: onboardingPage,
  'verify-email': verifyEmailPage,
};
