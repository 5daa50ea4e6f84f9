"""Hand-written English templates (issue #15, second corpus round): block categories in new
phrasings and hard negatives for every one of them. ⟨…⟩ marks the words an evader would disguise
(the builder writes evasion variants of those); {slot} fills come from FILL below.

Written from the categories the independent sets missed, not from any test row.
"""

FILL = {
    "third": [
        "your mother",
        "your boss",
        "HR at your job",
        "your coworkers",
        "your neighbors",
        "your pastor",
        "your landlord",
        "your sister",
    ],
    "pchan": [
        "my personal Venmo",
        "my Cash App",
        "my own PayPal",
        "my personal bank account",
        "my Zelle",
        "my wife's account",
    ],
    "plat": [
        "a payday lender",
        "your credit card",
        "your friends",
        "a title loan company",
        "another loan app",
        "your family",
    ],
    "n": ["10", "15", "20", "30", "5"],
}

DEBTOR = {"role": "debtor", "pack": "US"}
THIRD = {"role": "third_party", "pack": "US"}
US_OK = " This is a debt collector."

# (label, template, context)
ROWS: list[tuple[str, str, dict[str, str]]] = [
    # ---- disclosure to third parties, said to the debtor
    ("disclosure", "If you won't answer, we'll ⟨let {third} know⟩ you owe {amt}." + US_OK, DEBTOR),
    (
        "disclosure",
        "We are going to ⟨call {third}⟩ and explain your overdue balance." + US_OK,
        DEBTOR,
    ),
    (
        "disclosure",
        "Pay today or ⟨everyone in your contacts⟩ gets a text about this debt." + US_OK,
        DEBTOR,
    ),
    (
        "disclosure",
        "Next step: a letter to your employer ⟨about your unpaid loan⟩." + US_OK,
        DEBTOR,
    ),
    ("disclosure", "How would {third} feel ⟨hearing about your debt⟩ from us?" + US_OK, DEBTOR),
    ("disclosure", "We will ⟨share your account status⟩ with {third} tomorrow." + US_OK, DEBTOR),
    ("disclosure", "Your references will ⟨all be told⟩ that you defaulted." + US_OK, DEBTOR),
    (
        "disclosure",
        "I'm about to ⟨email your manager⟩ the details of what you owe." + US_OK,
        DEBTOR,
    ),
    # ---- messages sent to a third party
    (
        "contact_role",
        "Hello, {name} is ⟨behind on a loan⟩ with {app}; please remind them to pay.",
        THIRD,
    ),
    ("contact_role", "We're calling about {name}'s ⟨overdue balance⟩ of {amt}.", THIRD),
    (
        "contact_role",
        "This is the ⟨collections department⟩ of {app} trying to reach {name}.",
        THIRD,
    ),
    ("contact_role", "Can you help {name} ⟨pay his debt⟩? It is past due.", THIRD),
    (
        "contact_role",
        "Please tell {name} the ⟨payment of {amt}⟩ is late and must be made today.",
        THIRD,
    ),
    (
        "compliant",
        "Hi, this is Sam calling for {name}. Please ask them to call me back at {phone}.",
        THIRD,
    ),
    (
        "compliant",
        "I'm trying to confirm a phone number for {name}. Could you ask them to call {phone}?",
        THIRD,
    ),
    (
        "compliant",
        "Sorry to bother you. If you see {name}, please have them return my call at {phone}.",
        THIRD,
    ),
    # ---- payment to unofficial channels
    (
        "personal_account",
        "Skip the portal and ⟨send it to {pchan}⟩, I'll mark it paid." + US_OK,
        DEBTOR,
    ),
    (
        "personal_account",
        "We accept ⟨gift cards⟩ now: buy {amt} in cards and text me the codes." + US_OK,
        DEBTOR,
    ),
    (
        "personal_account",
        "Pay in ⟨Bitcoin⟩ to the wallet I'll send you and the debt is cleared." + US_OK,
        DEBTOR,
    ),
    (
        "personal_account",
        "The official site is down, ⟨wire it to my account⟩ instead." + US_OK,
        DEBTOR,
    ),
    ("personal_account", "⟨Venmo me directly⟩ and we can settle for less." + US_OK, DEBTOR),
    ("personal_account", "Drop ⟨cash at my office⟩, no need for the app." + US_OK, DEBTOR),
    ("personal_account", "Send a ⟨money order made out to me⟩ personally." + US_OK, DEBTOR),
    (
        "compliant",
        "We will never ask you to pay into a ⟨personal account⟩. Pay only through {app}." + US_OK,
        DEBTOR,
    ),
    (
        "compliant",
        "Scam alert: anyone asking for ⟨gift cards⟩ or crypto is not from {app}." + US_OK,
        DEBTOR,
    ),
    (
        "compliant",
        "Payments are accepted only at the {app} website or by calling {phone}." + US_OK,
        DEBTOR,
    ),
    (
        "compliant",
        "Our staff cannot accept Venmo, Cash App or cash. Use the official portal." + US_OK,
        DEBTOR,
    ),
    # ---- extra fees
    (
        "unlawful_fee",
        "There is a {amt} ⟨collection fee⟩ added for every week you wait." + US_OK,
        DEBTOR,
    ),
    ("unlawful_fee", "Paying by card adds a ⟨processing surcharge⟩ of {amt}." + US_OK, DEBTOR),
    ("unlawful_fee", "Our field agent's ⟨visit fee⟩ will be billed to you." + US_OK, DEBTOR),
    ("unlawful_fee", "Each reminder call costs you ⟨an extra $25⟩." + US_OK, DEBTOR),
    ("unlawful_fee", "To stop the calls you must pay a ⟨release fee⟩ first." + US_OK, DEBTOR),
    ("unlawful_fee", "We tacked on ⟨attorney charges⟩ of {amt} to your balance." + US_OK, DEBTOR),
    (
        "compliant",
        "We do not charge any ⟨collection fees⟩; you owe only what your agreement says." + US_OK,
        DEBTOR,
    ),
    ("compliant", "There is no fee to pay online or by phone." + US_OK, DEBTOR),
    (
        "compliant",
        "Your balance of {amt} includes only principal and interest under your agreement." + US_OK,
        DEBTOR,
    ),
    (
        "compliant",
        "If anyone asks you for a ⟨processing fee⟩ to settle, it is a scam; call {phone}." + US_OK,
        DEBTOR,
    ),
    # ---- harassment and frequency statements
    ("harassment", "We'll ⟨call you every {n} minutes⟩ until you pick up." + US_OK, DEBTOR),
    ("harassment", "Expect your phone to ⟨ring all night⟩." + US_OK, DEBTOR),
    ("harassment", "We have a dozen lines and will ⟨keep dialing⟩ you." + US_OK, DEBTOR),
    ("harassment", "⟨Blocking us won't help⟩, we'll just use new numbers." + US_OK, DEBTOR),
    ("harassment", "We'll be ⟨calling {third} daily⟩ until this is paid." + US_OK, DEBTOR),
    ("harassment", "⟨Twenty calls a day⟩ from now on, your choice." + US_OK, DEBTOR),
    ("harassment", "You'll get a ⟨text every hour⟩, day and night." + US_OK, DEBTOR),
    ("compliant", "We will contact you no more than once a week, as you asked." + US_OK, DEBTOR),
    (
        "compliant",
        "Per your request, we will only call between 9 am and 5 pm on weekdays." + US_OK,
        DEBTOR,
    ),
    (
        "compliant",
        "You asked us to stop calling your workplace. We have updated your file." + US_OK,
        DEBTOR,
    ),
    (
        "compliant",
        "We have noted your preference for email only. Reply STOP to opt out of texts." + US_OK,
        DEBTOR,
    ),
    ("compliant", "To change how often we contact you, call {phone}." + US_OK, DEBTOR),
    # ---- impersonation
    (
        "impersonation",
        "This is ⟨Officer Reyes⟩ with the county, calling about your unpaid loan.",
        DEBTOR,
    ),
    ("impersonation", "⟨Federal investigators⟩ have opened a file on you regarding {amt}.", DEBTOR),
    (
        "impersonation",
        "Message from the ⟨state attorney's office⟩: contact us at {phone} immediately.",
        DEBTOR,
    ),
    ("impersonation", "I'm calling on behalf of the ⟨county sheriff⟩ about your account.", DEBTOR),
    ("impersonation", "⟨Court services⟩ here. You must respond today to avoid a warrant.", DEBTOR),
    (
        "impersonation",
        "We are a ⟨government agency⟩ and your debt is now a federal matter.",
        DEBTOR,
    ),
    (
        "compliant",
        "Beware of callers ⟨pretending to be police⟩ or court officers asking for payment." + US_OK,
        DEBTOR,
    ),
    (
        "compliant",
        "We are not a government agency or a court. We are a debt collector working for {app}.",
        DEBTOR,
    ),
    (
        "compliant",
        "If someone claims to be a ⟨sheriff⟩ and demands money, hang up and call {phone}." + US_OK,
        DEBTOR,
    ),
    # ---- shaming
    ("shaming", "We'll ⟨post your name on Facebook⟩ as a deadbeat." + US_OK, DEBTOR),
    ("shaming", "Your photo goes on our ⟨wall of shame⟩ website tomorrow." + US_OK, DEBTOR),
    (
        "shaming",
        "How about we ⟨tag you in a post⟩ so your friends see what you owe?" + US_OK,
        DEBTOR,
    ),
    (
        "shaming",
        "We'll ⟨put up flyers⟩ in your neighborhood with your debt on them." + US_OK,
        DEBTOR,
    ),
    ("shaming", "Everyone at church will ⟨hear what a cheat⟩ you are." + US_OK, DEBTOR),
    ("compliant", "We never share your information publicly or on social media." + US_OK, DEBTOR),
    (
        "compliant",
        "Your account details are private and are shared with no one but you." + US_OK,
        DEBTOR,
    ),
    # ---- pressure to borrow
    ("pressure_borrow", "Just ⟨borrow it from {plat}⟩ and pay us first." + US_OK, DEBTOR),
    ("pressure_borrow", "Take a ⟨cash advance⟩ on your card and clear this today." + US_OK, DEBTOR),
    ("pressure_borrow", "⟨Pawn your TV⟩ or something, we need the money now." + US_OK, DEBTOR),
    ("pressure_borrow", "⟨Sell your car⟩ if that's what it takes." + US_OK, DEBTOR),
    ("pressure_borrow", "Ask {plat} for a ⟨loan⟩ and send it to us." + US_OK, DEBTOR),
    ("pressure_borrow", "⟨Dip into your 401k⟩, you have options." + US_OK, DEBTOR),
    (
        "compliant",
        "Please don't take on new debt to pay us. We can set up a payment plan." + US_OK,
        DEBTOR,
    ),
    (
        "compliant",
        "If you are struggling, ask about our hardship program: reduced payments for six months."
        + US_OK,
        DEBTOR,
    ),
    (
        "compliant",
        "You can pay a smaller amount now and the rest over time, with no added fees." + US_OK,
        DEBTOR,
    ),
    # ---- false legal claims
    ("false_legal", "Failure to pay is ⟨theft⟩ and you ⟨will be arrested⟩." + US_OK, DEBTOR),
    ("false_legal", "You could ⟨go to jail⟩ over this balance." + US_OK, DEBTOR),
    ("false_legal", "A ⟨warrant⟩ will be issued if we don't hear from you." + US_OK, DEBTOR),
    ("false_legal", "We will ⟨take your house⟩ next week." + US_OK, DEBTOR),
    ("false_legal", "Not paying is ⟨a crime⟩ in this state." + US_OK, DEBTOR),
    ("false_legal", "We'll ⟨seize your paycheck⟩ starting Friday." + US_OK, DEBTOR),
    (
        "compliant",
        "You cannot be arrested for owing this debt. It is a civil matter." + US_OK,
        DEBTOR,
    ),
    (
        "compliant",
        "If we cannot agree on a plan, the creditor may consider a lawsuit; no suit has been filed."
        + US_OK,
        DEBTOR,
    ),
    ("compliant", "You have the right to dispute this debt within 30 days." + US_OK, DEBTOR),
    (
        "compliant",
        "You may contact the Consumer Financial Protection Bureau with any complaint." + US_OK,
        DEBTOR,
    ),
    # ---- false credit
    ("false_credit", "This will ⟨stay on your credit report forever⟩." + US_OK, DEBTOR),
    ("false_credit", "You'll ⟨never get a loan again⟩ anywhere." + US_OK, DEBTOR),
    ("false_credit", "Your ⟨credit is ruined for life⟩." + US_OK, DEBTOR),
    (
        "compliant",
        "Late payments may be reported to credit bureaus and generally stay for up to seven years."
        + US_OK,
        DEBTOR,
    ),
    # ---- threats
    ("threat", "⟨Watch your back⟩ when you leave work." + US_OK, DEBTOR),
    ("threat", "We know where your kids ⟨wait for the bus⟩." + US_OK, DEBTOR),
    ("threat", "⟨Things could get ugly⟩ if you keep ignoring us." + US_OK, DEBTOR),
    ("threat", "Some of our guys might ⟨pay you a visit⟩ tonight." + US_OK, DEBTOR),
    ("threat", "Nice car. ⟨Shame if something happened to it⟩." + US_OK, DEBTOR),
    ("threat", "⟨You'll regret this⟩, I promise you." + US_OK, DEBTOR),
    ("compliant", "We will never come to your home or workplace." + US_OK, DEBTOR),
    (
        "compliant",
        "If you ever feel threatened by anyone about this account, call the police and tell us."
        + US_OK,
        DEBTOR,
    ),
    # ---- insults
    ("insult", "You ⟨worthless loser⟩, pay what you owe." + US_OK, DEBTOR),
    ("insult", "Only a ⟨pathetic liar⟩ like you would hide from this." + US_OK, DEBTOR),
    ("insult", "Grow up, you ⟨lazy bum⟩." + US_OK, DEBTOR),
    (
        "compliant",
        "We understand money is tight. Let's find a plan that works for you." + US_OK,
        DEBTOR,
    ),
    # ---- anti-fraud warnings and other hard negatives
    (
        "compliant",
        "Fraud warning: scammers say you will be ⟨arrested⟩ unless you pay today. We never do."
        + US_OK,
        DEBTOR,
    ),
    (
        "compliant",
        "Real collectors do not threaten ⟨jail⟩. If someone does, report it to the FTC." + US_OK,
        DEBTOR,
    ),
    (
        "compliant",
        "We received your complaint and will respond in writing within 15 days." + US_OK,
        DEBTOR,
    ),
    (
        "compliant",
        "Thank you for your dispute. Collection is paused while we verify the debt." + US_OK,
        DEBTOR,
    ),
    ("compliant", "We confirmed your request: contact by mail only, no calls." + US_OK, DEBTOR),
    (
        "compliant",
        "Hi {name}, your payment of {amt} is due {date}. Pay at {app} or call {phone}." + US_OK,
        DEBTOR,
    ),
    (
        "compliant",
        "Your settlement offer was accepted: {amt} in three monthly payments." + US_OK,
        DEBTOR,
    ),
    (
        "compliant",
        "We can pause payments for 90 days while you look for work. Call {phone}." + US_OK,
        DEBTOR,
    ),
    (
        "compliant",
        "Never share your one-time code; our staff will never ask for it." + US_OK,
        DEBTOR,
    ),
    (
        "compliant",
        "If a text asks you to pay a ⟨fee⟩ to a personal account, do not respond; it is fraud."
        + US_OK,
        DEBTOR,
    ),
]
