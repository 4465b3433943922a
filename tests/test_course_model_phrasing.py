"""The learner's own words (issue 26): tools and schemas the course model has never seen, asked as people ask.

A held-out table, written before the rules it measures (`reading/lists.py`, `reading/anchored.py`,
`reading/enums.py`, `reading/currencies.py`, `brain/tool_choosing.py`), in domains the course does not
use: recipes, tickets, travel, shopping, calendars, units, HR forms. Each row is one class of phrasing:

- a written list anywhere fills an array ("X, Y and Z", "X, Y or Z", "- X" lines, "X as well as Y");
- a word the question puts next to a field's name or description fills it ("the billing module",
  "service: payments", "carrier dhl", "labelled bug"), and a field's own name is never its value;
- an enum value matches by a distinctive part, its case or a common synonym ("New York" is
  "America/New_York", "in progress" is "in_progress", "urgent" is "high");
- money: an amount and two currencies by code, symbol or name pick the currency tool and fill it.

Round two (the maintainer's probe with unseen tools), again written before its rules, in other domains
(gardening, music, chores, the gym, the library, the vet, home heating, pets, cleaning, food, stock, ice
cream): a list after a label and a colon, split by semicolons, lines or "plus" (the label is never an item);
a number with a unit a parameter measures, or a compound holding a field's word, choosing a tool ("21
degrees" for `celsius`, "bedroom" for `room`); money whatever its parameters are called, when the tool or
schema is about money; a command's verb right before a field's name ("search component"); "X with Y and
Z"; the thing a number counts ("3 bags of flour"); the kind before the thing a schema is about ("a tuna
sandwich").

Round three (the maintainer's second probe, tools it had never seen), written before its rules, in alarms,
reminders, calendars, the smart home, fitness, travel and visits: the question's own values pick the tool and
fill it (a clock time fits `hour` and `minute` or a time field; "Tuesday" fits an enum's "tue" and "Aug" its
"August"; a written list of names fits an array, a named person a person's field), so do everyday words for
common kinds of tool ("wake me", "remind me", "reserve", "standup"); and a question no offered tool fits
("What is NLP?", a poem, a greeting, a joke about Mondays) still gets text.

Round four (the maintainer's third probe), written before its rules, in messaging, markets, cocktails, crash
reports, workouts, cleaning robots, aquariums, running and restaurants: a value's shape chooses and fills a tool
(a phone number for `number` or `to`, a ticker for `symbol`); a free-text field takes the clause that states
the thing, never the words a list or an enum took ("a vegan Thai curry with tofu, ..." → "Thai curry"); a
place phrase fills an `area`, `location` or `place`; a statement about the past that asks a question ("I ran
10 km yesterday, is that good?") gets text. Before its rules it passed 2 of its 19 runs.

Every row goes through `ChatOpenAI` on the course model: tools through `bind_tools`, schemas through
`with_structured_output` with both `json_schema` and `function_calling`. Run before the rules existed,
the first round passed 24 of its 77 runs, the second 3 of its 54; CONTRIBUTING.md's course-model notes
keep the figures.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

import jsonschema
import pytest

NOT_ITS_NAME = object()  # the value must be a string that is not the field's own name


def obj(schema_title: str, /, **properties: dict[str, Any]) -> dict[str, Any]:
    """An object schema requiring every property, as Pydantic writes one."""
    return {"title": schema_title, "description": f"A {schema_title}.", "type": "object",
            "properties": properties, "required": list(properties)}


def fn(name: str, description: str, /, **properties: dict[str, Any]) -> dict[str, Any]:
    """An OpenAI function tool with every parameter required."""
    return {"type": "function", "function": {"name": name, "description": description,
                                             "parameters": {"type": "object", "properties": properties,
                                                            "required": list(properties)}}}


S = {"type": "string"}
N = {"type": "number"}
I = {"type": "integer"}
LIST = {"type": "array", "items": {"type": "string"}}


def enum(*values: str, description: str = "") -> dict[str, Any]:
    found: dict[str, Any] = {"type": "string", "enum": list(values)}
    if description:
        found["description"] = description
    return found


def text(description: str) -> dict[str, Any]:
    return {"type": "string", "description": description}


TIMEZONES = enum("Europe/Paris", "America/New_York", "Asia/Tokyo", "Australia/Sydney", "America/Los_Angeles")
UNITS = enum("meter", "kilometer", "mile", "foot", "inch")


@dataclass(frozen=True)
class Case:
    """A question, what it is asked with (a schema, or tools), and the values it must get (a subset)."""

    cls: str  # the class of phrasing: list, anchored, enum, money
    question: str
    expected: dict[str, Any]
    schema: dict[str, Any] | None = None
    tools: tuple[dict[str, Any], ...] = ()
    tool: str | None = None  # the tool the call must go to; with tools and no tool, no call: a text answer

    @property
    def id(self) -> str:
        return f"{self.cls}: {self.question}"


CASES: list[Case] = [
    # --- a written list fills an array -------------------------------------------------------------------
    Case("list", "Blend bananas, strawberries and mango into a smoothie.",
         {"fruits": ["bananas", "strawberries", "mango"]}, obj("Smoothie", fruits=LIST)),
    Case("list", "Minestrone needs beans, pasta, tomatoes and celery.",
         {"dish": "Minestrone", "ingredients": ["beans", "pasta", "tomatoes", "celery"]},
         obj("Soup", dish=S, ingredients=LIST)),
    Case("list", "For the hike bring a map, a compass or a whistle.",
         {"items": ["map", "compass", "whistle"]}, obj("PackingList", items=LIST)),
    Case("list", "Shopping list:\n- apples\n- rice\n- olive oil", {"items": ["apples", "rice", "olive oil"]},
         obj("ShoppingList", items=LIST)),
    Case("list", "Agenda for Monday:\n1. budget\n2. hiring\n3. roadmap",
         {"topics": ["budget", "hiring", "roadmap"]}, obj("Agenda", topics=LIST)),
    Case("list", "The workshop needs a projector as well as a whiteboard.",
         {"equipment": ["projector", "whiteboard"]}, obj("Room", equipment=LIST)),
    Case("list", "Tag this post with python, testing, and ci.", {"tags": ["python", "testing", "ci"]},
         obj("Post", tags=LIST)),
    Case("list", "Maria knows Python, SQL and Docker.", {"name": "Maria", "skills": ["Python", "SQL", "Docker"]},
         obj("Candidate", name=S, skills=LIST)),
    Case("list", "Lasagne takes pasta sheets, ricotta, spinach and a jar of passata.",
         {"recipe": "Lasagne", "ingredients": ["pasta sheets", "ricotta", "spinach", "jar of passata"]},
         obj("Recipe", recipe=S, ingredients=LIST)),
    Case("list", "Please add socks, a scarf and gloves to my cart.", {"products": ["socks", "scarf", "gloves"]},
         tools=(fn("add_to_cart", "Add products to the shopping cart.", products=LIST),
                fn("get_order_status", "Get the status of an order.", order_id=S)), tool="add_to_cart"),
    Case("list", "Remind the team: stand-up, demo or retro, whichever comes first.",
         {"events": ["stand-up", "demo", "retro"]}, obj("Reminder", events=LIST)),
    Case("list", "Pack sunscreen as well as a hat and sandals.", {"items": ["sunscreen", "hat", "sandals"]},
         tools=(fn("make_packing_list", "Make a packing list for a trip.", items=LIST),), tool="make_packing_list"),
    # --- a word next to a field's name or description fills it ------------------------------------------
    Case("anchored", "A critical bug in the billing module.", {"module": "billing"},
         obj("Bug", severity=enum("minor", "major", "critical"), module=S)),
    Case("anchored", "Severity high, service: payments.", {"service": "payments", "severity": "high"},
         obj("Incident", severity=enum("low", "high"), service=S)),
    Case("anchored", "Ship it with carrier dhl, weight 2.5 kg.", {"carrier": "dhl", "weight": 2.5},
         obj("ShippingLabel", carrier=S, weight=N)),
    Case("anchored", "Book a table for 4 at the harbour restaurant.", {"restaurant": "harbour", "party_size": 4},
         tools=(fn("book_table", "Book a table at a restaurant.", restaurant=S, party_size=I),),
         tool="book_table"),
    Case("anchored", "I'd like 3 days of sick leave.", {"leave_type": "sick", "days": 3},
         obj("LeaveRequest", leave_type=S, days=I)),
    Case("anchored", "Book the blue room for the standup.", {"room": "blue"},
         tools=(fn("book_room", "Book a meeting room.", room=S),), tool="book_room"),
    Case("anchored", "Book a double room in Lisbon.", {"city": "Lisbon", "room_type": "double"},
         obj("HotelBooking", city=S, room_type=S)),
    Case("anchored", "Open an issue labelled regression about the login page.", {"label": "regression"},
         tools=(fn("create_issue", "Create an issue in the tracker.", label=S, summary=S),), tool="create_issue"),
    Case("anchored", "Log this under category groceries, please.", {"category": "groceries"},
         obj("Expense", category=S)),
    Case("anchored", "Log a travel expense of 40 dollars.", {"kind": "travel", "amount": 40},
         obj("Expense", kind=text("The expense category, such as food or lodging"), amount=N)),
    Case("anchored", "Route this to the mobile team.", {"area": "mobile"},
         obj("Routing", area=text("The team that handles it"))),
    Case("anchored", "Please file a ticket: the search page times out.",
         {"title": NOT_ITS_NAME, "component": NOT_ITS_NAME}, obj("Ticket", title=S, component=S)),
    Case("anchored", "New hire in the finance department, starting Monday.", {"department": "finance"},
         obj("Onboarding", department=S, start_day=S)),
    # --- an enum value by a distinctive part, its case or a synonym --------------------------------------
    Case("enum", "What's the local time in New York?", {"timezone": "America/New_York"},
         tools=(fn("get_local_time", "Get the local time in a timezone.", timezone=TIMEZONES),),
         tool="get_local_time"),
    Case("enum", "Is it late in Sydney right now? Check the time.", {"timezone": "Australia/Sydney"},
         tools=(fn("get_local_time", "Get the local time in a timezone.", timezone=TIMEZONES),),
         tool="get_local_time"),
    Case("enum", "Schedule the call at 10:00 Los Angeles time.", {"time": "10:00", "timezone": "America/Los_Angeles"},
         obj("Call", time=S, timezone=TIMEZONES)),
    Case("enum", "This is a low priority issue.", {"priority": "LOW"},
         obj("Issue", priority=enum("LOW", "MEDIUM", "HIGH"))),
    Case("enum", "Mark the migration task as in progress.", {"status": "in_progress"},
         obj("Task", status=enum("todo", "in_progress", "done"))),
    Case("enum", "An urgent problem: the site is down.", {"severity": "high"},
         obj("Alert", severity=enum("low", "medium", "high"))),
    Case("enum", "I'll pay by bank transfer.", {"method": "bank_transfer"},
         obj("Payment", method=enum("credit_card", "bank_transfer", "paypal"))),
    Case("enum", "Send the parcel express.", {"speed": "EXPRESS_SHIPPING"},
         obj("Delivery", speed=enum("STANDARD_SHIPPING", "EXPRESS_SHIPPING"))),
    Case("enum", "Convert 5 miles to kilometers.", {"value": 5, "from_unit": "mile", "to_unit": "kilometer"},
         tools=(fn("convert_length", "Convert a length from one unit to another.", value=N, from_unit=UNITS,
                   to_unit=UNITS),), tool="convert_length"),
    Case("enum", "How many inches is 2 feet?", {"value": 2, "from_unit": "foot", "to_unit": "inch"},
         tools=(fn("convert_length", "Convert a length from one unit to another.", value=N, from_unit=UNITS,
                   to_unit=UNITS),), tool="convert_length"),
    Case("enum", "A large latte with oat milk, please.", {"size": "LARGE", "milk": "oat"},
         obj("CoffeeOrder", size=enum("SMALL", "MEDIUM", "LARGE"), milk=enum("whole", "skim", "oat", "soy"))),
    Case("enum", "Book me a window seat in business.", {"seat": "window", "cabin": "Business"},
         obj("Seat", seat=enum("aisle", "window", "middle"), cabin=enum("Economy", "Premium Economy", "Business"))),
    # --- money: an amount and two currencies ----------------------------------------------------------
    Case("money", "What is $100 in euros?", {"amount": 100, "source": "USD", "target": "EUR"},
         tools=(fn("convert_money", "Convert money between currencies (ISO codes).", amount=N,
                   source=text("source currency code"), target=text("target currency code")),),
         tool="convert_money"),
    Case("money", "Convert 250 yen into dollars.", {"amount": 250, "from_currency": "JPY", "to_currency": "USD"},
         tools=(fn("exchange", "Exchange an amount of money.", amount=N, from_currency=S, to_currency=S),),
         tool="exchange"),
    Case("money", "£40 to USD please", {"amount": 40, "from_currency": "GBP", "to_currency": "USD"},
         tools=(fn("convert_currency", "Convert an amount from one currency to another.", amount=N,
                   from_currency=S, to_currency=S),), tool="convert_currency"),
    Case("money", "How much is 75 GBP in CAD?", {"amount": 75, "from_currency": "GBP", "to_currency": "CAD"},
         tools=(fn("get_weather", "Get the current weather in a city.", city=S),
                fn("convert_currency", "Convert an amount from one currency to another.", amount=N,
                   from_currency=S, to_currency=S),
                fn("get_local_time", "Get the local time in a timezone.", timezone=TIMEZONES)),
         tool="convert_currency"),
    Case("money", "How much are 20 euros in Swiss francs?", {"amount": 20, "base": "EUR", "quote": "CHF"},
         tools=(fn("fx_convert", "Convert with today's exchange rate.", amount=N,
                   base=text("currency to convert from"), quote=text("currency to convert to")),),
         tool="fx_convert"),
    Case("money", "I want to change 500 Swiss francs into yen.",
         {"amount": 500, "from_currency": "CHF", "to_currency": "JPY"},
         obj("Conversion", amount=N, from_currency=S, to_currency=S)),
    Case("money", "Swap 1,000 rupees for pounds.", {"amount": 1000, "from_currency": "INR", "to_currency": "GBP"},
         tools=(fn("convert_currency", "Convert an amount from one currency to another.", amount=N,
                   from_currency=S, to_currency=S),), tool="convert_currency"),
    Case("money", "What's 99.50 Canadian dollars in Australian dollars?",
         {"amount": 99.5, "from_currency": "CAD", "to_currency": "AUD"},
         tools=(fn("convert_currency", "Convert an amount from one currency to another.", amount=N,
                   from_currency=S, to_currency=S),), tool="convert_currency"),
    Case("money", "30 EUR → USD?", {"amount": 30, "from": "EUR", "to": "USD"},
         tools=(fn("convert", "Currency converter.", amount=N, **{"from": text("currency code"),
                                                                   "to": text("currency code")}),),
         tool="convert"),
    Case("money", "The hotel costs 120 euros a night; what is that in pounds?",
         {"amount": 120, "currency_from": "EUR", "currency_to": "GBP"},
         obj("PriceCheck", amount=N, currency_from=enum("USD", "EUR", "GBP"), currency_to=enum("USD", "EUR", "GBP"))),
    # --- round two (the maintainer's probe): each class again, in domains not used above --------------------
    # a list after a label and a colon, split by semicolons, lines or "plus"; the label is never an item
    Case("label list", "Plants to water: fern; cactus; basil", {"plants": ["fern", "cactus", "basil"]},
         obj("Watering", plants=LIST)),
    Case("label list", "Playlist: Yesterday; Imagine; Hey Jude", {"songs": ["Yesterday", "Imagine", "Hey Jude"]},
         obj("Playlist", songs=LIST)),
    Case("label list", "Chores:\nvacuum the hall\nfeed the cat\nwater the plants",
         {"chores": ["vacuum the hall", "feed the cat", "water the plants"]}, obj("ChoreList", chores=LIST)),
    Case("label list", "Gym bag: towel plus water bottle plus headphones",
         {"items": ["towel", "water bottle", "headphones"]}, obj("GymBag", items=LIST)),
    Case("label list", "Borrow: Dune; Emma; Ulysses", {"titles": ["Dune", "Emma", "Ulysses"]},
         tools=(fn("borrow_books", "Borrow books from the library.", titles=LIST),), tool="borrow_books"),
    Case("label list", "Vaccines due: rabies; distemper", {"vaccines": ["rabies", "distemper"]},
         obj("VetVisit", vaccines=LIST)),
    Case("label list", "Warm-up: jumping jacks, lunges plus squats",
         {"exercises": ["jumping jacks", "lunges", "squats"]}, obj("Workout", exercises=LIST)),
    # a number with a unit that fits a parameter, a compound word holding a field's word, pick the tool
    Case("units", "Cool the upstairs zone to 68 degrees", {"zone": "upstairs", "fahrenheit": 68},
         tools=(fn("adjust_climate", "Adjust the climate control of a zone.", zone=S, fahrenheit=N),),
         tool="adjust_climate"),
    Case("units", "Put 40 liters in, please.", {"litres": 40},
         tools=(fn("get_weather", "Get the current weather in a city.", city=S),
                fn("top_up", "Top up the water tank.", litres=N)), tool="top_up"),
    Case("units", "Give the kitten 80 g twice a day.", {"grams": 80},
         tools=(fn("feed_pet", "Feed a pet a portion of food.", grams=N),), tool="feed_pet"),
    Case("units", "Lights on in the bathroom", {"room": "bathroom"},
         tools=(fn("light_on", "Turn on the light in a room.", room=S),), tool="light_on"),
    Case("units", "Mop the storeroom floor tonight.", {"room": "storeroom"},
         tools=(fn("schedule_cleaning", "Schedule cleaning of a room.", room=S),), tool="schedule_cleaning"),
    Case("units", "Reserve the classroom after lunch.", {"room": "classroom"}, obj("Reservation", room=S)),
    Case("units", "Dim the dining room lights to 30", {"room": "dining room", "level": 30},
         obj("Dimmer", room=S, level=N)),
    Case("units", "Is the waiting room free at noon?", {"room": "waiting room"}, obj("RoomCheck", room=S)),
    # money, whatever the parameters are called, when the tool or schema says money or currency
    Case("money names", "How much is 80 francs in pounds?", {"amount": 80, "have": "CHF", "want": "GBP"},
         tools=(fn("fx", "Currency conversion.", amount=N, have=S, want=S),), tool="fx"),
    Case("money names", "Sell 300 dollars for yen", {"amount": 300, "sell": "USD", "buy": "JPY"},
         tools=(fn("swap_money", "Swap money between two currencies, given as ISO codes.", amount=N, sell=S,
                   buy=S),), tool="swap_money"),
    Case("money names", "Convert 12 bucks to rupees", {"value": 12, "from": "USD", "to": "INR"},
         tools=(fn("convert", "Convert money (ISO 4217 codes).", value=N, **{"from": S, "to": S}),),
         tool="convert"),
    Case("money names", "I have 200 Canadian dollars; how many euros is that?",
         {"amount": 200, "input": "CAD", "output": "EUR"},
         tools=(fn("cash_exchange", "Change cash between currencies.", amount=N, input=S, output=S),),
         tool="cash_exchange"),
    Case("money names", "Quote 45 euros against the dollar", {"amount": 45, "base": "EUR", "quote": "USD"},
         {**obj("Quote", amount=N, base=S, quote=S), "description": "A money exchange quote."}),
    # a command's verb right before a field's name is the value's word ("search component")
    Case("verb noun", "Minor: convert service drops decimals", {"service": "convert", "severity": "low"},
         obj("Incident", severity=enum("low", "medium", "high"), service=S)),
    Case("verb noun", "Bug: list screen freezes on scroll", {"screen": "list"}, obj("Bug", screen=S, title=S)),
    Case("verb noun", "P1: send queue is stuck", {"queue": "send"},
         obj("Outage", queue=text("The queue that is stuck"))),
    # "X with Y and Z": a bare X is one more item, an X with an article is what the list belongs to
    Case("with list", "Lunch was pasta with peas and ham.", {"foods": ["pasta", "peas", "ham"]},
         obj("Meal", foods=LIST)),
    Case("with list", "Make me quinoa with kale, tofu or tempeh", {"ingredients": ["quinoa", "kale", "tofu", "tempeh"]},
         obj("Bowl", ingredients=LIST)),
    Case("with list", "A double burger with cheese, bacon and onions", {"extras": ["cheese", "bacon", "onions"]},
         obj("Burger", extras=LIST)),
    # a counted thing: "3 bags of flour", "150 g of yogurt"
    Case("counted", "Add 3 bags of flour", {"product": "flour", "quantity": 3},
         tools=(fn("add_to_basket", "Add a product to the basket.", product=S, quantity=N),), tool="add_to_basket"),
    Case("counted", "I ate 150 g of yogurt", {"food": "yogurt", "grams": 150},
         tools=(fn("log_food", "Log food eaten.", food=S, grams=N),), tool="log_food"),
    Case("counted", "We have 12 boxes of nails left", {"item": "nails", "count": 12}, obj("StockItem", item=S, count=I)),
    Case("counted", "Order 5 reams of paper", {"item": "paper", "amount": 5},
         tools=(fn("order_supplies", "Order office supplies.", item=S, amount=N),), tool="order_supplies"),
    # a word before the thing the schema is about says its kind ("a pepperoni pizza")
    Case("kind", "Two scoops of pistachio ice cream", {"flavour": "pistachio", "scoops": 2},
         obj("IceCream", flavour=S, scoops=I)),
    Case("kind", "Three cups of jasmine tea", {"variety": "jasmine", "cups": 3}, obj("Tea", variety=S, cups=I)),
    Case("kind", "A tuna sandwich, please", {"filling": "tuna"}, obj("Sandwich", filling=S)),
    Case("kind", "Bake a chocolate cake for six", {"flavour": "chocolate"},
         tools=(fn("bake_cake", "Bake a cake.", flavour=S, servings=I),), tool="bake_cake"),
    # --- round three (the maintainer's second probe): the question's own values, and everyday verbs, pick the
    # tool, in domains not used above (alarms, reminders, calendars, smart home, fitness, travel, visits) --------
    # a clock time fits hour and minute, or a time field
    Case("clock", "Wake me at 5:15", {"hour": 5, "minute": 15},
         tools=(fn("alarm", "Alarm that rings.", hour=I, minute=I),), tool="alarm"),
    Case("clock", "Get me up at 7:20 for yoga", {"hour": 7, "minute": 20},
         tools=(fn("program_clock", "Program the bedside clock.", hour=I, minute=I, label=S),), tool="program_clock"),
    Case("clock", "Get me on the 7:10 from Leeds to York", {"time": "7:10", "origin": "Leeds", "destination": "York"},
         tools=(fn("reserve_seat", "Reserve a seat on a train.", origin=S, destination=S, time=S),),
         tool="reserve_seat"),
    Case("clock", "Bed at 22:30, up at 6:30", {"bedtime": "22:30", "wake_time": "6:30"},
         tools=(fn("sleep_schedule", "Set a sleep schedule.", bedtime=S, wake_time=S),), tool="sleep_schedule"),
    Case("clock", "Water the lawn at 5:30 for 20 minutes", {"hour": 5, "minute": 30, "duration_minutes": 20},
         tools=(fn("sprinkler", "Run the garden sprinkler.", hour=I, minute=I, duration_minutes=I),),
         tool="sprinkler"),
    Case("clock", "A cab at 5:40 from the Ritz", {"hour": 5, "minute": 40},
         tools=(fn("order_taxi", "Order a taxi.", pickup=S, hour=I, minute=I),), tool="order_taxi"),
    # a weekday or month, by its name or its abbreviation, fits an enum that spells it the other way
    Case("abbreviation", "Can I see the physio on Tuesday at 10?", {"weekday": "tue", "hour": 10},
         tools=(fn("book_appointment", "Book an appointment at the clinic.",
                   weekday=enum("mon", "tue", "wed", "thu", "fri", "sat", "sun"), hour=I),), tool="book_appointment"),
    Case("abbreviation", "Two weeks in Crete in September", {"destination": "Crete", "month": "sep"},
         tools=(fn("plan_holiday", "Plan a holiday.", destination=S,
                   month=enum("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")),),
         tool="plan_holiday"),
    Case("abbreviation", "A car in Denver in Aug", {"city": "Denver", "month": "August"},
         tools=(fn("rent_car", "Rent a car.", city=S, month=enum(
             "January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
             "November", "December")),), tool="rent_car"),
    Case("abbreviation", "12000 steps on Thursday", {"steps": 12000, "day": "THU"},
         tools=(fn("record_activity", "Record a day's activity.", steps=I,
                   day=enum("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")),), tool="record_activity"),
    # a written list fits an array, a named person a person's field; an everyday word names the tool's kind
    Case("people", "Board meeting on Wednesday with Kim, Ola and Max",
         {"day": "WED", "guests": ["Kim", "Ola", "Max"], "name": "Board meeting"},
         tools=(fn("new_event", "Put an event in the calendar.", name=S,
                   day=enum("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"), guests=LIST),), tool="new_event"),
    Case("people", "Tom, Ben and Zoe are coming to the party", {"names": ["Tom", "Ben", "Zoe"]},
         tools=(fn("guest_list", "Keep the guest list of a party.", names=LIST),), tool="guest_list"),
    Case("people", "Red roses for Jenny", {"recipient": "Jenny", "colour": "red"},
         tools=(fn("send_flowers", "Send a bouquet.", recipient=S, colour=enum("red", "white", "yellow")),),
         tool="send_flowers"),
    Case("people", "Ring Marta", {"person": "Marta"},
         tools=(fn("phone_contact", "Phone a contact.", person=S),), tool="phone_contact"),
    Case("people", "Meet Sam for coffee at 4pm on Monday", {"who": "Sam", "weekday": "Mon", "time": "4pm"},
         tools=(fn("diary_entry", "Add an entry to the diary.", who=S,
                   weekday=enum("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"), time=S),), tool="diary_entry"),
    Case("people", "Sprint review Friday with Ada, Bo and Cy", {"attendees": ["Ada", "Bo", "Cy"], "day": "fri"},
         tools=(fn("get_weather", "Get the current weather in a city.", city=S),
                fn("calendar_add", "Add to the calendar.", title=S, day=enum("mon", "tue", "wed", "thu", "fri"),
                   attendees=LIST)), tool="calendar_add"),
    # everyday verbs: "remind me", "don't let me forget", "reserve", "wake me" say which kind of tool
    Case("everyday", "Remind me to water the plants at 8pm", {"time": "8pm", "text": NOT_ITS_NAME},
         tools=(fn("create_reminder", "Create a reminder.", text=S, time=S),), tool="create_reminder"),
    Case("everyday", "Don't let me forget the dentist at 14:30", {"when": "14:30"},
         tools=(fn("get_weather", "Get the current weather in a city.", city=S),
                fn("add_reminder", "Add a reminder to the phone.", message=S, when=S)), tool="add_reminder"),
    Case("everyday", "Reserve the rooftop for 20 guests", {"guests": 20},
         tools=(fn("make_booking", "Make a booking at a venue.", venue=S, guests=I),), tool="make_booking"),
    Case("everyday", "Wake the kids at 7", {"hour": 7},
         tools=(fn("get_news", "Get the latest news headlines.", topic=S),
                fn("set_alarm", "Set an alarm clock.", hour=I, minute=I)), tool="set_alarm"),
    Case("everyday", "Standup every Monday with Ivo and Pia", {"attendees": ["Ivo", "Pia"]},
         tools=(fn("recurring_event", "Create a recurring calendar event.", title=S, attendees=LIST),),
         tool="recurring_event"),
    Case("everyday", "Too warm in here, cool it down", {"mode": "cool"},
         tools=(fn("air_conditioner", "Set the air conditioner mode.", mode=enum("cool", "heat", "dry", "fan")),),
         tool="air_conditioner"),
    # ... and a question no offered tool fits is answered in text (tool_choice="auto")
    Case("no tool", "What is NLP?", {}, tools=(fn("set_alarm", "Set an alarm clock.", hour=I, minute=I, label=S),)),
    Case("no tool", "Write a poem about autumn, rain and tea", {},
         tools=(fn("make_playlist", "Make a playlist.", songs=LIST),)),
    Case("no tool", "Hi there, how are you?", {},
         tools=(fn("calendar_event", "Create a calendar event.", title=S,
                   weekday=enum("mon", "tue", "wed", "thu", "fri", "sat", "sun"), attendees=LIST),)),
    Case("no tool", "Tell me a joke about Mondays", {},
         tools=(fn("book_appointment", "Book an appointment at the clinic.",
                   weekday=enum("mon", "tue", "wed", "thu", "fri", "sat", "sun")),)),
    Case("no tool", "Explain how a 24-hour clock shows 18:30", {},
         tools=(fn("set_alarm", "Set an alarm clock.", hour=I, minute=I),)),
    Case("no tool", "Why do people love Fridays?", {},
         tools=(fn("calendar_event", "Create a calendar event.", title=S,
                   weekday=enum("mon", "tue", "wed", "thu", "fri", "sat", "sun"), attendees=LIST),)),
    Case("no tool", "Who were Ana, Raj and Lee in the story?", {},
         tools=(fn("invite", "Invite people.", attendees=LIST),)),
    # round four (the maintainer's third probe), written before its rules, in messaging, markets, cocktails,
    # crash reports, workouts, cleaning robots, aquariums, running and restaurants -------------------------
    # a value's shape chooses the tool and fills its field: a phone number, a ticker; "text"/"ping" message
    Case("value", "Message 020 7946 0018 saying the parcel is here",
         {"number": "020 7946 0018", "body": "the parcel is here"},
         tools=(fn("get_weather", "Get the current weather in a city.", city=S),
                fn("send_text", "Send a text message.", number=S, body=S)), tool="send_text"),
    Case("value", "Ping +1 415 555 0199 to say dinner is at eight", {"to": "+1 415 555 0199"},
         tools=(fn("whatsapp", "Send a WhatsApp message to a phone number.", to=S, message=S),), tool="whatsapp"),
    Case("value", "What is TSLA at right now?", {"symbol": "TSLA"},
         tools=(fn("get_weather", "Get the current weather in a city.", city=S),
                fn("share_quote", "Quote a listed company's stock by its symbol.", symbol=S)), tool="share_quote"),
    Case("value", "Are NVDA shares up today?", {"ticker": "NVDA"},
         tools=(fn("market_price", "Current market price of a stock.", ticker=S),), tool="market_price"),
    # a free-text field takes the clause that states the thing, never words an enum or a list took
    Case("clause", "A rum mojito with mint, lime and soda",
         {"drink": ("mojito", "rum mojito"), "garnishes": ["mint", "lime", "soda"], "spirit": "rum"},
         schema=obj("Cocktail", drink=S, spirit=enum("gin", "rum", "vodka", "tequila"), garnishes=LIST)),
    Case("clause", "On Android the camera app crashes: open it, switch to video, tap record",
         {"summary": ("the camera app crashes", "camera app crashes"), "platform": "android"},
         schema=obj("CrashReport", summary=S, platform=enum("android", "ios", "web"), steps=LIST)),
    Case("clause", "An advanced leg day with squats, lunges and deadlifts",
         {"name": ("leg day", "advanced leg day"), "level": "advanced", "exercises": ["squats", "lunges", "deadlifts"]},
         schema=obj("Workout", name=S, level=enum("beginner", "intermediate", "advanced"), exercises=LIST)),
    Case("clause", "A vegan Thai curry with tofu, peppers and basil",
         {"dish": ("Thai curry",), "diet": "vegan", "ingredients": ["tofu", "peppers", "basil"]},
         schema=obj("Meal", dish=S, diet=enum("vegan", "vegetarian", "keto"), ingredients=LIST)),
    # a place phrase fills a zone, area, location or place field
    Case("place", "Vacuum the upstairs hallway for 15 minutes", {"area": "upstairs hallway", "minutes": 15},
         tools=(fn("robot_vacuum", "Send the robot vacuum to clean an area of the house.", area=S, minutes=I),),
         tool="robot_vacuum"),
    Case("place", "Spray the rose bed with 3 litres", {"location": "rose bed", "litres": 3},
         tools=(fn("spray_garden", "Spray a spot in the garden with water.", location=S, litres=N),),
         tool="spray_garden"),
    Case("place", "Feed the big tank 2 grams", {"place": "big tank", "grams": 2},
         tools=(fn("feed_fish", "Feed the fish in an aquarium.", place=S, grams=N),), tool="feed_fish"),
    # a statement or question about the past or about oneself is no request: it gets text (tool_choice="auto")
    Case("not a request", "I ran 10 km yesterday, is that good?", {},
         tools=(fn("log_run", "Log a run.", distance_km=N),)),
    Case("not a request", "My sister booked a table for 4 last night, was it busy?", {},
         tools=(fn("book_table", "Book a table at the restaurant.", guests=I),)),
    Case("not a request", "I fed the fish 5 grams this morning, too much?", {},
         tools=(fn("feed_fish", "Feed the fish in an aquarium.", place=S, grams=N),)),
    Case("not a request", "Yesterday I texted 07700 900456 and got no answer, why?", {},
         tools=(fn("send_sms", "Send a text message to a phone number.", phone=S, text=S),)),
]


def runs() -> list[Any]:
    """One run per tool case; two per schema case (json_schema and function_calling)."""
    found = []
    for case in CASES:
        if case.schema is not None:
            found += [pytest.param(case, method, id=f"{case.id} [{method}]")
                      for method in ("json_schema", "function_calling")]
        else:
            found.append(pytest.param(case, "bind_tools", id=f"{case.id} [bind_tools]"))
    return found


def matches(expected: dict[str, Any], got: dict[str, Any]) -> bool:
    for name, value in expected.items():
        if isinstance(value, tuple):  # any of these strings, whatever its case
            if not isinstance(got.get(name), str) or got[name].lower() not in {v.lower() for v in value}:
                return False
        elif value is NOT_ITS_NAME:
            found = got.get(name)
            if not isinstance(found, str) or not found.strip() or found.strip().lower() in (
                    name.lower(), name.replace("_", " ").lower()):
                return False
        elif isinstance(value, float) or isinstance(got.get(name), float):
            if not isinstance(got.get(name), (int, float)) or abs(got[name] - value) > 1e-9:
                return False
        elif got.get(name) != value:
            return False
    return True


def answer(make_llm, case: Case, how: str) -> dict[str, Any]:
    """What the course model gives for `case`: the structured answer, or the call's name and arguments."""
    llm = make_llm()
    if case.schema is not None:
        got = llm.with_structured_output(case.schema, method=how).invoke(case.question)
        jsonschema.validate(got, case.schema)
        return got
    message = llm.bind_tools(list(case.tools)).invoke(case.question)
    if case.tool is None:  # no offered tool fits: the answer is text (tool_choice="auto")
        assert not message.tool_calls, message.tool_calls
        assert message.text.strip()
        return {}
    assert message.tool_calls, f"no tool call, it said: {message.content!r}"
    call = message.tool_calls[0]
    assert call["name"] == case.tool, call
    return call["args"]


@pytest.mark.parametrize(("case", "how"), runs())
def test_the_learners_own_words(make_llm, case, how):
    got = answer(make_llm, case, how)
    assert matches(case.expected, got), got


def test_the_table_covers_every_class_with_several_phrasings():
    counts: dict[str, int] = {}
    for case in CASES:
        counts[case.cls] = counts.get(case.cls, 0) + 1
    first_round = {"list", "anchored", "enum", "money"}
    assert len(CASES) >= 75 and min(counts[cls] for cls in first_round) >= 8, counts
    assert min(counts.values()) >= 3, counts


# --- bounded ----------------------------------------------------------------------------------------------

# Seconds: a guard against runaway work (a quadratic scan), not a speed. These take about a second or less;
# the first enum reader, which read every value of every tool's enum afresh, took 10.4 s on the 128 tools.
RUNAWAY = 10.0
CITIES = [f"Region{i}/City_{i}_Town" for i in range(1_000)]


def _object(properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": list(properties)}


HOSTILE_SCHEMAS = {
    "60 KB of one field's name": ("the checkout component " * 2_600,
                                  _object({"component": S, "title": S, "items": LIST})),
    "60 KB of bullets": ("\n".join(f"- item {i}" for i in range(7_000))[:60_000], _object({"items": LIST})),
    "60 KB of 'name:'": ("component: " * 5_500, _object({"component": S})),
    "1,000-value enums, 60 KB of their parts": (" ".join(f"city {i} town" for i in range(6_000))[:60_000],
                                                _object({"a": enum(*CITIES), "b": enum(*CITIES),
                                                         "c": {"type": "array", "items": enum(*CITIES)}})),
    "500 described fields": (" ".join(f"the v{i} field{i}" for i in range(5_000))[:60_000],
                             _object({f"field{i}": text("the field described at length " * 20) for i in range(500)})),
    "500 enum fields": ("urgent high low " * 4_000, _object({f"f{i}": enum("low", "medium", "high") for i in range(500)})),
    "60 KB of semicolons": ("Pack: " + "; ".join(f"sock {i}" for i in range(8_000))[:60_000], _object({"items": LIST})),
    "60 KB of labelled lines": ("\n".join(f"Label {i}:\nfern {i}\ncactus" for i in range(3_000))[:60_000],
                                _object({"items": LIST})),
    "60 KB of compounds": ("the bedroom the storeroom " * 2_400, _object({"room": S, "area": S})),
    "60 KB of counted things": ("3 bags of flour, 2 kg of " * 2_400,
                                _object({"item": S, "unit": S, "quantity": N})),
    "500 nested objects, counted things": ("12 boxes of nails " * 3_500,
                                           _object({f"o{i}": _object({"item": S}) for i in range(500)})),
    "500 nested clocks, 60 KB of times": ("at 7:45 pm, " * 5_000,
                                          _object({f"o{i}": _object({"hour": I, "minute": I, "time": S})
                                                   for i in range(500)})),
    "500 nested clocks, no time": ("Team sync on Friday with Ana, Raj and Lee " * 1_400,
                                   _object({f"o{i}": _object({"hour": I, "minute": I, "title": S})
                                            for i in range(500)})),
    "500 nested things, 60 KB of phones, tickers, places and lists": (
        ("Text +44 7700 900123 or 020 7946 0018 about AAPL: a vegan Thai curry in the rose bed with tofu, "
         "lime and mint. ") * 600,
        _object({f"o{i}": _object({"zone": S, "phone": S, "ticker": S, "name": S, "diet": enum("vegan", "keto"),
                                   "tags": LIST}) for i in range(500)})),
}


@pytest.mark.parametrize(("question", "schema"), HOSTILE_SCHEMAS.values(), ids=list(HOSTILE_SCHEMAS))
def test_hostile_phrasing_stays_bounded(question, schema):
    from helpers.course_model.brain.brain import respond

    start = time.perf_counter()
    reply = respond([{"role": "user", "content": question}],
                    response_format={"type": "json_schema", "json_schema": {"name": "A", "schema": schema}})
    assert time.perf_counter() - start < RUNAWAY
    jsonschema.validate(json.loads(reply.text), schema)


@pytest.mark.parametrize("question", [" ".join(f"city {i} town 5 USD" for i in range(4_000))[:60_000],
                                      "How much is 100 USD in EUR? " * 2_000,
                                      " ".join(f"bedroom{i} {i} degrees {i} kg" for i in range(5_000))[:60_000],
                                      "Wake me at 6:45 with Ana, Raj and Lee on Friday, remind me; " * 1_000,
                                      " ".join(f"Name{i} at {i % 24}:{i % 60:02d}," for i in range(6_000))[:60_000],
                                      "Text +44 7700 900123 about AAPL shares in the rose bed, I had one? " * 400
                                      + "Yesterday I texted 020 7946 0018, why? " * 400],
                         ids=["60 KB of enum parts", "60 KB of money", "60 KB of compounds and units",
                              "60 KB of everyday phrases, times and lists", "60 KB of names and times",
                              "60 KB of phones, tickers, places and the past"])
def test_choosing_among_128_tools_with_large_enums_stays_bounded(question):
    from helpers.course_model.brain.brain import respond

    tools = [fn(f"tool{i}", "Do a thing in a room for money.", unit=enum(*CITIES), from_currency=S, source=S,
                celsius=N, grams=N, hour=I, minute=I, attendees=LIST, title=S, phone=S, ticker=S, zone=S)
             for i in range(128)]
    start = time.perf_counter()
    reply = respond([{"role": "user", "content": question}], tools=tools)
    assert time.perf_counter() - start < RUNAWAY
    assert reply.tool_calls or reply.text


# --- the four misses issue 26 reports, through ChatOpenAI -------------------------------------------------

ISSUE_TICKET = obj("Ticket", title=S, priority=enum("low", "medium", "high"), component=text("The component affected"))


@pytest.mark.parametrize("method", ["json_schema", "function_calling"])
def test_the_issues_structured_misses(make_llm, method):
    recipe = make_llm().with_structured_output(obj("Recipe", dish=S, ingredients=LIST), method=method)
    assert recipe.invoke("Pancakes need flour, eggs and milk.")["ingredients"] == ["flour", "eggs", "milk"]
    ticket = make_llm().with_structured_output(ISSUE_TICKET, method=method).invoke(
        "Open a high priority ticket for the checkout component: the pay button is broken.")
    assert ticket["component"] == "checkout" and ticket["priority"] == "high"
    assert ticket["title"].lower() != "title"


def test_the_issues_tool_misses(make_llm):
    get_time = fn("get_time", "Get the current time in a timezone.",
                  timezone=enum("Europe/London", "America/New_York", "Asia/Tokyo"))
    convert = fn("convert_currency", "Convert an amount of money from one currency to another.", amount=N,
                 from_currency=S, to_currency=S)
    call = make_llm().bind_tools([get_time]).invoke("What time is it in Tokyo?").tool_calls[0]
    assert call["args"] == {"timezone": "Asia/Tokyo"}
    call = make_llm().bind_tools([convert]).invoke("How much is 100 USD in EUR?").tool_calls[0]
    assert call["args"] == {"amount": 100, "from_currency": "USD", "to_currency": "EUR"}


# --- found while writing round three's rules (not held out: seen failing, then fixed) ----------------------

CALENDAR = fn("calendar_event", "Create a calendar event.", title=S,
              weekday=enum("mon", "tue", "wed", "thu", "fri", "sat", "sun"), attendees=LIST)


def test_a_day_the_enum_took_is_not_one_of_the_people(make_llm):
    call = make_llm().bind_tools([CALENDAR]).invoke("Lunch with Priya on Tuesday").tool_calls[0]
    assert call["args"] == {"title": "Lunch", "weekday": "tue", "attendees": ["Priya"]}


def test_a_request_to_summarise_names_and_days_calls_nothing(make_llm):
    message = make_llm().bind_tools([CALENDAR]).invoke("Summarise: Ana, Raj and Lee met on Friday.")
    assert not message.tool_calls and message.text.strip()
