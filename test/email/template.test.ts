import { describe, expect, it } from "vitest";
import {
  DEFAULT_EMAIL_TEMPLATE,
  type EmailTemplate,
  renderEmail,
  type TemplateValues,
  templateError,
} from "../../src/email/template";

const values: TemplateValues = {
  name: "Ada",
  link_url: "https://go.example.com/r/ABCD2345",
  promotion_name: "Spring Promo",
  reward: "$10 credit",
  referee_reward: "20% off",
  unsubscribe_url: "https://go.example.com/u/tok123",
};

const HOSTILE = "<img src=x onerror=alert(1)>";

describe("renderEmail: the default template", () => {
  it("renders every part from the defaults", () => {
    const out = renderEmail({}, values);
    expect(out.subject).toBe("Your referral link for Spring Promo");
    expect(out.text).toContain("Hi Ada,");
    expect(out.text).toContain("https://go.example.com/r/ABCD2345");
    expect(out.text).toContain("$10 credit");
    expect(out.text).toContain("20% off");
    expect(out.text).toContain("Unsubscribe: https://go.example.com/u/tok123");
    expect(out.html).toContain("Hi Ada,");
    expect(out.html).toContain("<strong>Spring Promo</strong>");
    expect(out.html).toContain("$10 credit");
    // Default HTML escaping encodes "/" and "=" too; an HTML parser reads the same URL back.
    expect(out.html).toContain('href="https:&#x2F;&#x2F;go.example.com&#x2F;r&#x2F;ABCD2345"');
    expect(out.html).toContain('href="https:&#x2F;&#x2F;go.example.com&#x2F;u&#x2F;tok123"');
    expect(out.html).not.toContain("{{");
    expect(out.text).not.toContain("{{");
  });

  it("is a valid template", () => {
    expect(templateError(DEFAULT_EMAIL_TEMPLATE)).toBeNull();
    expect(templateError({})).toBeNull();
  });

  it("leaves out the reward sentences and the name when they are empty", () => {
    const out = renderEmail({}, { ...values, name: "", reward: "", referee_reward: "" });
    expect(out.text.startsWith("Hi there,")).toBe(true);
    expect(out.text).not.toContain("you get");
    expect(out.text).not.toContain("Your friends get");
    expect(out.text).not.toMatch(/\n\n\n/);
    expect(out.html).toContain("Hi there,");
    expect(out.html).not.toContain("you get");
  });

  it("falls back to the default per missing (null, undefined or blank) field", () => {
    const out = renderEmail({ subject: "Hey {{name}}", text: null, html: "  " }, values);
    expect(out.subject).toBe("Hey Ada");
    expect(out.text).toBe(renderEmail({}, values).text);
    expect(out.html).toBe(renderEmail({}, values).html);
  });
});

describe("renderEmail: custom templates", () => {
  const custom: EmailTemplate = {
    subject: "{{name}}, {{reward}} is waiting",
    text: "Go to {{link_url}} ({{promotion_name}}). Friends get {{referee_reward}}. Stop: {{unsubscribe_url}}",
    html: "<p>{{#reward}}Earn <b>{{reward}}</b>{{/reward}}{{^referee_reward}} (no friend reward){{/referee_reward}}</p>{{! a comment }}",
    from_name: "Acme",
    reply_to: "help@acme.test",
  };

  it("renders all six placeholders, sections, inverted sections and comments", () => {
    const out = renderEmail(custom, values);
    expect(out.subject).toBe("Ada, $10 credit is waiting");
    expect(out.text).toBe(
      "Go to https://go.example.com/r/ABCD2345 (Spring Promo). Friends get 20% off. Stop: https://go.example.com/u/tok123",
    );
    expect(out.html).toBe("<p>Earn <b>$10 credit</b></p>");
    expect(renderEmail(custom, { ...values, referee_reward: "" }).html).toBe(
      "<p>Earn <b>$10 credit</b> (no friend reward)</p>",
    );
  });

  it("accepts {{ spaced }} placeholders", () => {
    expect(renderEmail({ subject: "{{ name }} / {{  promotion_name  }}" }, values).subject).toBe("Ada / Spring Promo");
  });
});

describe("renderEmail: escaping", () => {
  it("HTML-escapes a hostile name in the html body (it renders as text)", () => {
    const out = renderEmail({}, { ...values, name: HOSTILE });
    expect(out.html).not.toContain("<img");
    expect(out.html).toContain("Hi &lt;img src&#x3D;x onerror&#x3D;alert(1)&gt;,");
  });

  it("escapes quotes so a value cannot leave an attribute", () => {
    const out = renderEmail(
      { html: '<a href="{{link_url}}">x</a>' },
      { ...values, link_url: 'https://x.test/" onclick="y' },
    );
    expect(out.html).not.toContain('" onclick');
    expect(out.html).toContain("&quot; onclick&#x3D;&quot;y");
  });

  it("does not HTML-escape values in the text body or the subject", () => {
    const name = `Tom & "Jerry" <tj@example.com> 'O'Neil' ${HOSTILE}`;
    const out = renderEmail({}, { ...values, name, promotion_name: "R&D <Beta>" });
    expect(out.text).toContain(`Hi ${name},`);
    expect(out.text).toContain("for R&D <Beta>:");
    expect(out.text).not.toContain("&amp;");
    expect(out.subject).toBe("Your referral link for R&D <Beta>");
    // The html body of the same render is escaped: the per-call escape did not leak anywhere.
    expect(out.html).toContain("Tom &amp; &quot;Jerry&quot;");
    expect(out.html).toContain("R&amp;D &lt;Beta&gt;");
  });

  it("leaves the global Mustache escape alone (html escaping still applies afterwards)", async () => {
    const Mustache = (await import("mustache")).default;
    renderEmail({}, { ...values, name: "<b>" });
    expect(Mustache.render("{{v}}", { v: "<b>" })).toBe("&lt;b&gt;");
  });

  it("never lets CR/LF into the subject (header injection)", () => {
    const out = renderEmail(
      { subject: "Hi\r\n{{name}}\t\tand\u2028more  " },
      { ...values, name: "Ada\r\nBcc: victim@example.com\n\nbody" },
    );
    expect(out.subject).not.toMatch(/[\r\n\u2028\u2029]/);
    expect(out.subject).toBe("Hi Ada Bcc: victim@example.com body and more");
    // The default subject too, with a hostile promotion name.
    expect(renderEmail({}, { ...values, promotion_name: "A\r\nB" }).subject).toBe("Your referral link for A B");
  });
});

describe("templateError", () => {
  it("accepts valid templates", () => {
    expect(
      templateError({
        subject: "{{{name}}} {{&reward}}", // unescaped output is harmless outside html
        text: "{{#reward}}{{reward}}{{/reward}}{{^reward}}none{{/reward}} {{! note }}",
        html: "<p>{{name}}</p>",
      }),
    ).toBeNull();
  });

  it.each([
    ["subject", { subject: "Hi {{name" }, /Unclosed tag/],
    ["text", { text: "Hi {{name}} {{link_url" }, /Unclosed tag/],
    ["html", { html: "<p>{{#reward}}x</p>" }, /Unclosed section "reward"/],
    ["html", { html: "<p>x{{/reward}}</p>" }, /Unopened section "reward"/],
    ["text", { text: "{{#reward}}{{/referee_reward}}" }, /Unclosed section "reward"/],
  ] as const)("names the field of a syntax error (%s)", (field, template, message) => {
    const problem = templateError(template);
    expect(problem?.field).toBe(field);
    expect(problem?.message).toMatch(message);
    expect(() => renderEmail(template, values)).toThrow(field);
  });

  it.each([
    ["subject", { subject: "{{email}}" }, "email"],
    ["text", { text: "{{name.length}}" }, "name.length"],
    ["text", { text: "{{.}}" }, "."],
    ["html", { html: "{{#constructor}}x{{/constructor}}" }, "constructor"],
    ["html", { html: "{{#reward}}{{secret}}{{/reward}}" }, "secret"],
    ["subject", { subject: "{{&toString}}" }, "toString"],
  ] as const)("refuses unknown placeholders (%s: %s)", (field, template, name) => {
    const problem = templateError(template);
    expect(problem?.field).toBe(field);
    expect(problem?.message).toContain(`{{${name}}}`);
    expect(problem?.message).toContain("unsubscribe_url");
  });

  it.each([["{{{name}}}"], ["{{& name}}"], ["{{&name}}"], ["{{#reward}}<b>{{{reward}}}</b>{{/reward}}"]])(
    "refuses unescaped output in html: %s",
    (html) => {
      const problem = templateError({ html });
      expect(problem?.field).toBe("html");
      expect(problem?.message).toMatch(/unescaped/);
      expect(() => renderEmail({ html }, values)).toThrow(/html/);
    },
  );

  it("refuses partials and delimiter changes", () => {
    expect(templateError({ text: "{{> footer}}" })).toMatchObject({
      field: "text",
      message: expect.stringMatching(/partial/),
    });
    expect(templateError({ html: "{{=<% %>=}}<% name %>" })).toMatchObject({
      field: "html",
      message: expect.stringMatching(/delimiter/),
    });
  });

  it("reports the first bad field, in subject, text, html order", () => {
    expect(templateError({ subject: "{{x}}", text: "{{y", html: "{{{name}}}" })?.field).toBe("subject");
    expect(templateError({ text: "{{y", html: "{{{name}}}" })?.field).toBe("text");
  });
});
