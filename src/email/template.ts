import Mustache, { type TemplateSpans } from "mustache";

/** An appspace's (possibly partial) email template, as stored. Missing fields use the default. */
export interface EmailTemplate {
  subject?: string | null;
  text?: string | null;
  html?: string | null;
  from_name?: string | null;
  reply_to?: string | null;
}

/** The only values a template can reference. */
export interface TemplateValues {
  name: string;
  link_url: string;
  promotion_name: string;
  reward: string;
  referee_reward: string;
  unsubscribe_url: string;
}

type Field = "subject" | "text" | "html";

const FIELDS: readonly Field[] = ["subject", "text", "html"];

const KNOWN_NAMES: ReadonlySet<string> = new Set<keyof TemplateValues>([
  "name",
  "link_url",
  "promotion_name",
  "reward",
  "referee_reward",
  "unsubscribe_url",
]);

// Sections ({{#reward}}…{{/reward}}) hide a sentence when its value is empty.
export const DEFAULT_EMAIL_TEMPLATE: { subject: string; text: string; html: string } = {
  subject: "Your referral link for {{promotion_name}}",
  text: `{{#name}}Hi {{name}},{{/name}}{{^name}}Hi there,{{/name}}

Here is your personal referral link for {{promotion_name}}:

{{link_url}}
{{#reward}}

Share it with friends: you get {{reward}} when they join.
{{/reward}}
{{#referee_reward}}

Your friends get {{referee_reward}}.
{{/referee_reward}}

Happy sharing!

--
Don't want these emails? Unsubscribe: {{unsubscribe_url}}
`,
  html: `<!doctype html>
<html>
<body style="margin:0;padding:24px;background:#f5f6f8;font-family:-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;color:#1f2328;">
<div style="max-width:560px;margin:0 auto;background:#ffffff;border-radius:8px;padding:32px;">
<p style="margin:0 0 16px;font-size:16px;">{{#name}}Hi {{name}},{{/name}}{{^name}}Hi there,{{/name}}</p>
<p style="margin:0 0 16px;font-size:16px;">Here is your personal referral link for <strong>{{promotion_name}}</strong>:</p>
<p style="margin:24px 0;"><a href="{{link_url}}" style="display:inline-block;padding:12px 20px;background:#2563eb;color:#ffffff;text-decoration:none;border-radius:6px;font-weight:600;">Open my referral link</a></p>
<p style="margin:0 0 16px;font-size:14px;color:#57606a;word-break:break-all;"><a href="{{link_url}}" style="color:#2563eb;">{{link_url}}</a></p>
{{#reward}}
<p style="margin:0 0 16px;font-size:16px;">Share it with friends: you get <strong>{{reward}}</strong> when they join.</p>
{{/reward}}
{{#referee_reward}}
<p style="margin:0 0 16px;font-size:16px;">Your friends get <strong>{{referee_reward}}</strong>.</p>
{{/referee_reward}}
<p style="margin:0;font-size:16px;">Happy sharing!</p>
</div>
<p style="max-width:560px;margin:16px auto 0;text-align:center;font-size:12px;color:#8c959f;">Don't want these emails? <a href="{{unsubscribe_url}}" style="color:#8c959f;">Unsubscribe</a>.</p>
</body>
</html>
`,
};

/** Subject and text are not HTML: values go in verbatim (the custom escape is per call, never global). */
const VERBATIM = { escape: (value: unknown) => String(value) };

function pick(template: EmailTemplate, field: Field): string {
  const value = template[field];
  // Blank counts as missing: an empty subject or body is never what anyone meant to send.
  return typeof value === "string" && value.trim() !== "" ? value : DEFAULT_EMAIL_TEMPLATE[field];
}

/**
 * Renders the three parts. Throws on a template `templateError` rejects (callers validate at save
 * time; this is the backstop against, e.g., unescaped output in html).
 */
export function renderEmail(
  template: EmailTemplate,
  values: TemplateValues,
): { subject: string; text: string; html: string } {
  const problem = templateError(template);
  if (problem) throw new Error(`invalid email template (${problem.field}): ${problem.message}`);
  // A plain copy: lookups only ever see the six values, never anything on a caller's object.
  const view: TemplateValues = {
    name: values.name,
    link_url: values.link_url,
    promotion_name: values.promotion_name,
    reward: values.reward,
    referee_reward: values.referee_reward,
    unsubscribe_url: values.unsubscribe_url,
  };
  const subject = Mustache.render(pick(template, "subject"), view, {}, VERBATIM);
  return {
    // A header: CR/LF from a value must not leave it (or fold it), so all whitespace runs collapse.
    subject: subject.replace(/\s+/g, " ").trim(),
    text: Mustache.render(pick(template, "text"), view, {}, VERBATIM),
    html: Mustache.render(pick(template, "html"), view),
  };
}

/** The first problem in a template (subject, then text, then html), or null when it renders safely. */
export function templateError(template: EmailTemplate): { field: Field; message: string } | null {
  for (const field of FIELDS) {
    let tokens: TemplateSpans;
    try {
      tokens = Mustache.parse(pick(template, field));
    } catch (error) {
      // mustache's own wording: "Unclosed tag at 12", 'Unclosed section "reward" at 40', …
      return { field, message: error instanceof Error ? error.message : String(error) };
    }
    const message = tokenError(tokens, field);
    // No field prefix in the message: callers put `field` where they want it.
    if (message) return { field, message };
  }
  return null;
}

function tokenError(tokens: TemplateSpans, field: Field): string | null {
  for (const token of tokens) {
    const [type, value] = token;
    switch (type) {
      case "text":
      case "!":
        break;
      case "&":
        if (field === "html")
          return `unescaped output ({{{${value}}}} or {{& ${value}}}) is not allowed in html; use {{${value}}}`;
        if (!KNOWN_NAMES.has(value)) return unknown(value);
        break;
      case "name":
        if (!KNOWN_NAMES.has(value)) return unknown(value);
        break;
      case "#":
      case "^": {
        if (!KNOWN_NAMES.has(value)) return unknown(value);
        const inner = token[4];
        if (Array.isArray(inner)) {
          const message = tokenError(inner, field);
          if (message) return message;
        }
        break;
      }
      case ">":
        return `partials ({{> ${value}}}) are not supported`;
      case "=":
        return "changing delimiters ({{= =}}) is not supported";
      default:
        return `unsupported tag "${type}"`;
    }
  }
  return null;
}

function unknown(name: string): string {
  return `unknown placeholder {{${name}}}; use one of: ${[...KNOWN_NAMES].join(", ")}`;
}
