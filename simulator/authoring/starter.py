"""`defuse new NAME`: a commented starter scenario that loads, lints clean and plays.

The template is a complete, small conversation (a late parcel) written to be edited: the
comments explain each key, and its `tests:` block proves the good path passes and a poor
one fails. Its first line points editors at `scenario.schema.json` in the same folder,
which the command layer writes beside the file (`SCHEMA_FILE`), so completion works
wherever the trainer keeps their scenarios. Returns text; the command layer writes it.
"""
from __future__ import annotations

import re

__all__ = ["starter", "slug", "SCHEMA_FILE"]

SCHEMA_FILE = "scenario.schema.json"  # written next to the new scenario; the modeline names it


def slug(name: str) -> str:
    """A scenario id from a free-form name: lower case, words joined by _, starts with a letter."""
    s = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
    s = re.sub(r"^[^a-z]+", "", s)
    return (s or "my_scenario")[:60]


def _yaml_str(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def starter(name: str) -> str:
    title = " ".join(name.split()) or "My scenario"
    title = title[:120]
    return TEMPLATE.replace("@ID@", slug(name)).replace("@TITLE@", _yaml_str(title)).replace("@SCHEMA@", SCHEMA_FILE)


TEMPLATE = """\
# yaml-language-server: $schema=@SCHEMA@
# ^ Lets VS Code (YAML extension) and other yaml-language-server editors check and complete
#   this file as you type, with the schema in this folder (`defuse new -o` writes it beside
#   the file; `defuse schema -o @SCHEMA@` writes it again after an upgrade).
#
# A starter scenario. Edit it, then:
#   defuse validate this.yaml        every error, with its line
#   defuse lint this.yaml            unreachable nodes, dead ends, gameable scoring...
#   defuse test this.yaml            plays the `tests:` at the end and checks what they expect
#   defuse graph this.yaml -o g.svg  the branch graph (.dot/.mmd need nothing extra)
#   defuse analyze this.yaml         simulated trainees: who passes, where they lose
#   defuse play this.yaml --text --debug   playtest it yourself
# docs/authoring.md explains every key and every diagnostic code.
format_version: 1
id: @ID@                     # stable id; keep it once trainees have played the scenario
revision: 1                  # bump it whenever you change the content
title: @TITLE@
summary: >-                  # shown in the picker before the call: say who calls and why
  Replace with one or two sentences on the situation. (The example conversation below is
  a customer whose parcel is a week late; rewrite it as your own.)
setting: phone               # phone | chat | in_person
industry: parcel delivery
goals:
  - Let the customer finish before you say anything.
  - Find out what went wrong, say sorry, then offer a concrete fix.
protocol: five_steps         # scored against this procedure (`defuse protocols` lists them)
persona:
  name: Sam Okafor
  description: Ordered a birthday present that has not arrived.
  voice: {gender: male, rate: 170}
  anger: 62                  # starting anger, 0 to 100 (hostile from 75)
  tape_recorder: false       # true: interrupting a vent makes them start it again
  reactions: {}              # e.g. {apologize: -10}: this customer's reaction to an action
  noise: 0                   # random wobble per turn (0 = the same choices always give the same result)
  patience: 20               # turns before they give up
start: open
hangup: hung_up              # the ending shown if anger reaches 100
nodes:
  - id: open
    line:
      id: open.line
      text: >-
        I ordered a present for my daughter's birthday two weeks ago. The tracking has said
        "out for delivery" for six days. Her birthday was yesterday!
      venting: true          # answering now (anything but listening) cuts the vent short
    options:
      - id: let_them_finish
        text: "(Stay quiet and let them finish.)"
        actions: [listen]
        goto: details
      - id: order_number
        text: "Right, what's the order number?"
        actions: [interrupt, dismiss]
        routes:              # the first route whose `when` holds wins; the last has no `when`
          - when: {band: [hostile]}
            goto: hung_up
          - goto: details
      - id: calm_down
        text: "There's no need to shout at me."
        actions: [take_personally]
        routes:
          - when: {anger_at_least: 80}
            goto: hung_up
          - goto: details

  - id: details
    line:
      id: details.line
      text: "Every time I ring, someone says it's on its way. I want to know where it actually is."
    options:
      - id: ask_where
        text: "Let me look properly. When did the tracking last change, and to which depot?"
        actions: [ask_clarifying]
        goto: found
      - id: not_our_fault
        text: "Tracking is run by the courier, so there's not much I can do."
        actions: [negative_language, blame_customer]
        routes:
          - when: {anger_at_least: 85}
            goto: hung_up
          - goto: found
      - id: voucher
        text: "I'll get you a hundred-pound voucher, no problem."
        actions: [over_promise]
        goto: found

  - id: found
    line:
      id: found.line
      text: "It was at the Leeds depot, last Tuesday. Then nothing."
    options:
      - id: sorry
        text: "I'm sorry - it's been sitting at Leeds with a label fault. That's our mistake."
        actions: [apologize]
        goto: offer
      - id: shrug
        text: "These things happen around busy periods."
        actions: [dismiss]
        goto: offer

  - id: offer
    line:
      id: offer.line
      text: "So what are you going to do about it?"
    options:
      - id: resend
        text: "I'll send a replacement by next-day courier today, and refund the delivery charge."
        actions: [offer_solution]
        when: {done: [ask_clarifying]}   # only offered once the cause is known
        goto: wrap
      - id: wait_more
        text: "Give it a few more days; it usually turns up."
        actions: [dismiss]
        goto: hung_up

  - id: wrap
    line:
      id: wrap.line
      text: "Okay. Tomorrow, then. Thank you for actually sorting it."
    options:
      - id: note_it
        text: "(Log the label fault on the account so the depot team sees it.)"
        actions: [document]
        goto: done

  - id: done
    narration: true          # narration, not the customer speaking
    line: {id: done.line, text: "The replacement arrives the next morning."}
    end: resolved            # resolved | escalated | disengaged | customer_left | help_called
  - id: hung_up
    line: {id: hung_up.line, text: "Forget it. I'll never order from you again."}
    end: customer_left

tests:                       # scripted playthroughs: `defuse test this.yaml` plays them and checks `expect`
  - name: by the book
    choices: [let_them_finish, ask_where, sorry, resend, note_it]
    expect: {outcome: resolved, passed: true, score: [80, 100]}
  - name: brushes them off
    choices: [let_them_finish, not_our_fault, shrug, wait_more]
    expect: {outcome: customer_left, passed: false}
lint:
  # A sketch this small can still be gamed: the answer naming most steps, or the most soothing
  # one, is always right here (W111). Before you publish, remove W111 from this list and give
  # trainees tempting wrong answers: a fix rushed in before the cause is known, a promise
  # that cannot be kept (see docs/authoring.md, W111).
  ignore: [W111]             # lint codes to silence for this scenario
"""
