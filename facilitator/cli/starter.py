"""`facilitator init`: a commented starter plan and roster a director can fill in.

The starter is valid as written (`facilitator check` accepts it), so the first thing a new
director sees is a working schedule they can change one line at a time.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

STARTER_PLAN = """\
# A session plan. Edit freely; `facilitator check plan.yaml` tells you at once whether it works.
session:
  title: Sharing Session
  start: {start} 13:00            # local date and time, in `timezone` below
  timezone: America/New_York       # IANA name: Europe/Berlin, Asia/Tokyo, ...
  zoom:
    host_email: director@example.edu   # the licensed Zoom user who hosts the meeting
    waiting_room: true

facilitators:                      # the people who visit the breakout rooms
  - id: dr-one                     # short id used elsewhere in this file
    name: Dr. Alex Example
    email: alex.example@example.edu
    # timezone: Europe/Berlin      # their own zone, for cues and calendars
    # channel: email               # email | zoom_chat | webhook | console
    # available:                   # optional windows (their own local time)
    #   - {{from: "{start} 13:00", until: "{start} 15:00"}}
  - id: dr-two
    name: Dr. Sam Sample
    email: sam.sample@example.edu

students:
  roster: roster.csv               # CSV: email,name[,group][,timezone]; path relative to this file

phases:                            # in order; each has a duration like 25m, 1h30m or PT25M
  - kind: plenary
    title: Sharing plenary
    duration: 40m
    talks:
      - {{speaker: dr-one, minutes: 20}}
      - {{speaker: dr-two, minutes: 20}}
  - kind: breakout
    title: Small groups
    duration: 45m
    groups: 4                      # or names: [Harbour, Meadow, Summit, Lantern]
    slot: 20m                      # how long a facilitator stays in a room
    transition: 5m                 # time to move between rooms
    visits_per_group: 1            # or `rotation: full`, or `pairs: [...]`
    # facilitators_per_room: 1
    # exclude: [{{facilitator: dr-two, group: Group 3}}]
    assignment: balanced           # balanced | roster | random
    prompt: What stayed with you from today's stories?
  - kind: break
    duration: 5m
  - kind: plenary
    title: Wrap-up
    duration: 10m

messages:
  cue_lead: 2m                     # facilitators get "in 2 minutes: Group 4" cues
  pre_survey:
    # {{code}}: the student's pseudonymous code; {{done}}: the signed completion URL, which the
    # survey's end-of-survey redirect must open (README: Survey completion)
    url: https://survey.example.edu/pre?code={{code}}&done={{done}}
    send: start-1d
    reminders: [start-2h]
  post_survey:
    url: https://survey.example.edu/post?code={{code}}&done={{done}}
    send: end
    reminders: [end+1d, end+3d]
    close: end+14d
  resources:
    send: end+5m
    items:
      - {{title: Counselling service, url: "https://wellbeing.example.edu/counselling"}}
  # focus_group: {{send: +14d, url: "https://survey.example.edu/focus"}}

support:                 # shown on every board and in the follow-up email; a phone, a url or both
  - name: Student counselling service
    url: https://wellbeing.example.edu/counselling
    hours: Mon-Fri 9-17
  - {{name: 24/7 crisis line, phone: "+1 555 0199", hours: "24/7"}}
"""

STARTER_ROSTER = """\
email,name,group,timezone
ada.example@students.example.edu,Ada Example,,
ben.sample@students.example.edu,Ben Sample,,
cleo.demo@students.example.edu,Cleo Demo,,
dan.trial@students.example.edu,Dan Trial,,
eve.pilot@students.example.edu,Eve Pilot,,
finn.mock@students.example.edu,Finn Mock,,
gail.test@students.example.edu,Gail Test,,
hal.proto@students.example.edu,Hal Proto,,
ida.draft@students.example.edu,Ida Draft,,
jon.rough@students.example.edu,Jon Rough,,
kai.first@students.example.edu,Kai First,,
lea.early@students.example.edu,Lea Early,,
"""


def write_starter(folder: Path, *, today: date, force: bool = False) -> list[Path] | None:
    """Write plan.yaml and roster.csv into `folder`; None when a plan exists and not `force`."""
    plan_path, roster_path = folder / "plan.yaml", folder / "roster.csv"
    if plan_path.exists() and not force:
        return None
    folder.mkdir(parents=True, exist_ok=True)
    start = today + timedelta(days=21)
    plan_path.write_text(STARTER_PLAN.format(start=start.isoformat()), encoding="utf-8")
    written = [plan_path]
    if force or not roster_path.exists():
        roster_path.write_text(STARTER_ROSTER, encoding="utf-8")
        written.append(roster_path)
    return written
