"""The demo bank's help articles, one house style: a summary, the steps, what is good to know.

Categories are the same paths the intents use, so cases, contacts and articles meet in one taxonomy.
`public` articles answer customers; `internal` ones tell agents what to do and what they may offer.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ArticleSpec:
    article_id: str
    title: str
    category: str
    audience: str
    summary: str
    steps: tuple[str, ...]
    notes: tuple[str, ...] = ()
    steps_title: str = "What to do"

    def body(self) -> str:
        """The article as Markdown."""
        lines = [self.summary, "", f"## {self.steps_title}", ""]
        lines += [f"{i}. {step}" for i, step in enumerate(self.steps, 1)]
        if self.notes:
            lines += ["", "## Good to know", ""]
            lines += [f"- {note}" for note in self.notes]
        return "\n".join(lines)


ARTICLES = (
    ArticleSpec(
        "KB-001",
        "Lost or stolen card: block it at once",
        "Cards / Lost and stolen",
        "public",
        "If your card is lost or stolen, block it straight away - every minute counts. Blocking is free "
        "and works day and night.",
        (
            "Block the card in the app under **Cards > Block card**, or call the central blocking line "
            "**116 116** (from abroad +49 116 116), or call us.",
            "If the card was stolen, report the theft to the police and keep the reference number.",
            "Check your recent payments in the app and tell us about any you did not make.",
            "Order a replacement in the app or by phone. It arrives in 3-5 working days; your PIN comes "
            "in a separate letter.",
        ),
        (
            "A blocked card cannot be unblocked. If you find it again, cut it up.",
            "You are liable for at most EUR 50 for payments made before you blocked the card, unless you "
            "acted with gross negligence (for example, the PIN was written on the card).",
            "Premium customers can ask for express delivery to a branch at no charge.",
        ),
    ),
    ArticleSpec(
        "KB-002",
        "Blocking a lost card: call checklist",
        "Cards / Lost and stolen",
        "internal",
        "How agents handle a lost or stolen card in one call, so the customer is safe and the "
        "replacement is on its way before they hang up.",
        (
            "Identify the customer (name, date of birth, two security answers). Do not refuse to block "
            "for failed identification - blocking is always allowed.",
            "Block the card in the card system with reason *lost* or *stolen*. Stolen cards also block "
            "the linked wallet tokens (Apple Pay / Google Pay).",
            "Go through the last 10 card payments with the customer. Mark any unknown payment for "
            "dispute (see *Chargebacks and direct debit returns*).",
            "Order the replacement. Check the address first - a large share of lost replacements go to "
            "an old address.",
            "Log the contact with category *Cards / Lost and stolen* and outcome *resolved*.",
        ),
        (
            "Customers abroad: offer emergency cash via the card scheme's assistance service.",
            "Never ask for the full PIN or an online-banking password.",
        ),
        steps_title="Checklist",
    ),
    ArticleSpec(
        "KB-003",
        "Forgotten or blocked PIN",
        "Cards / Blocked cards and PIN",
        "public",
        "After three wrong PIN entries your card is blocked for PIN payments. You can still pay "
        "contactless for small amounts and online.",
        (
            "If you remember the PIN again, call us: we reset the counter and you can use the card at "
            "once.",
            "If you forgot the PIN, order a new PIN letter in the app (**Cards > PIN**) - it arrives in "
            "5-7 working days and your card stays valid.",
            "You can change your PIN at any of our ATMs with your current PIN.",
        ),
        ("If an ATM kept your card, see *ATM kept my card or gave the wrong amount*.",),
    ),
    ArticleSpec(
        "KB-004",
        "Unlocking cards and PIN counters",
        "Cards / Blocked cards and PIN",
        "internal",
        "Which blocks agents can lift themselves and which need the card back office.",
        (
            "PIN counter (3 wrong entries): reset in the card system after identification.",
            "App lock set by the customer: the customer unlocks it under **Cards > Settings**; explain "
            "the path, do not unlock it for them.",
            "Fraud-system block: read the flagged payment to the customer. If they confirm it, release "
            "the block; if not, treat it as an unrecognised payment.",
            "Blocks with reason *lost* or *stolen* cannot be lifted - order a replacement.",
        ),
        steps_title="Which block, which action",
    ),
    ArticleSpec(
        "KB-005",
        "When will my new card arrive, and how do I activate it?",
        "Cards / Delivery and activation",
        "public",
        "New and replacement cards arrive in 3-5 working days, renewals about two weeks before the old "
        "card expires.",
        (
            "Card not there after 7 working days? Tell us - we block the card in the post and send a "
            "new one free of charge.",
            "Activate the card with your first payment or cash withdrawal with PIN, or in the app under "
            "**Cards > Activate**.",
            "Moved recently? Check your address in the app first.",
        ),
        ("The PIN letter is sent separately and may arrive on a different day.",),
    ),
    ArticleSpec(
        "KB-006",
        "Why was my card declined?",
        "Cards / Declined payments",
        "public",
        "Most declined payments have one of five causes, and you can fix most of them yourself.",
        (
            "**Daily or monthly limit reached** - check and change your limits in the app.",
            "**Online payment failed at the security check** - approve the payment in the app; if no "
            "request arrives, re-register the card for 3-D Secure under **Cards > Online payments**.",
            "**Card locked in the app** - unlock it under **Cards > Settings**.",
            "**Security block after an unusual payment** - we send you an SMS; confirm it and pay again.",
            "**Chip damaged** - the card works contactless but not with the chip; order a replacement.",
        ),
    ),
    ArticleSpec(
        "KB-007",
        "Using your card outside Europe",
        "Cards / Declined payments",
        "public",
        "For your protection, girocards work outside Europe only when you switch this on.",
        (
            "In the app go to **Cards > Regions** and activate *worldwide* for the travel period.",
            "Take a second card (for example the Visa credit card) as a backup.",
            "Save the blocking number +49 116 116 before you travel.",
        ),
        ("Withdrawals in foreign currency cost 1.75 % with Classic; they are free with Premium.",),
    ),
    ArticleSpec(
        "KB-008",
        "Card limits: check, raise or lower them",
        "Cards / Limits",
        "public",
        "You set your own daily limits within the limit we grant. A higher credit limit needs a short "
        "credit check.",
        (
            "Change daily limits in the app under **Cards > Limits**; changes take effect at once.",
            "For a higher credit-card limit, apply in the app and upload your last two payslips.",
            "Need more for a short time (rental car, hotel)? Ask for a temporary increase for 30 days.",
        ),
        ("Lowering a limit is always possible and needs no check.",),
    ),
    ArticleSpec(
        "KB-009",
        "A payment I don't recognise",
        "Fraud and security / Unrecognised payments",
        "public",
        "Many unfamiliar entries are genuine: the shop's company name can differ from its brand name. "
        "If you really did not make a payment, act quickly.",
        (
            "Look at the payment details in the app - the merchant's full name and city often explain it "
            "(for example *PayPal* or a parent company).",
            "If you still don't recognise it, block the card and call us.",
            "We start a dispute (chargeback) for card payments. For direct debits you can ask for a "
            "refund within 8 weeks without giving a reason.",
        ),
        (
            "Disputes take up to 10 weeks; in clear cases we credit the amount provisionally.",
            "For unauthorised payments your liability is at most EUR 50.",
        ),
    ),
    ArticleSpec(
        "KB-010",
        "Chargebacks and direct debit returns: procedure",
        "Fraud and security / Unrecognised payments",
        "internal",
        "How to dispute a card payment or return a direct debit, and what to tell the customer about "
        "time and outcome.",
        (
            "Card payment not made by the customer: block and reissue the card, then open a dispute with "
            "reason *fraud*; the customer signs the dispute form in the app.",
            "Card payment made but goods or refund missing: the customer must first contact the merchant; "
            "open a dispute with reason *goods not received* after 15 days.",
            "Direct debit (SEPA core): refund on request within 8 weeks, no reason needed; after 8 weeks "
            "and up to 13 months only if there was no mandate.",
            "Offer to block the creditor for future debits.",
        ),
        ("Payments authorised with chip and PIN are rarely won in a dispute - set expectations.",),
        steps_title="Procedure",
    ),
    ArticleSpec(
        "KB-011",
        "Phishing, fake calls and scams: how to recognise them",
        "Fraud and security / Phishing and scams",
        "public",
        "We will never ask you for a TAN, your password or your PIN - not by e-mail, SMS or phone.",
        (
            "Don't click links in messages that say your account is blocked or must be verified.",
            "If a caller claims to be from the bank or the police and asks for codes or money, hang up "
            "and call us on the number on your card.",
            "Gave away a code or password? Call us at once so we can block online banking.",
            "Paid a fake seller? Call us immediately - we try to recall the transfer - and report it to "
            "the police.",
        ),
        (
            "A recall only works while the money is still in the recipient's account; speed matters.",
        ),
    ),
    ArticleSpec(
        "KB-012",
        "Customer gave away a TAN or password: emergency steps",
        "Fraud and security / Phishing and scams",
        "internal",
        "When a customer has disclosed access data, secure the account first and ask questions later.",
        (
            "Block online banking and the TAN procedure immediately.",
            "Check transfers, standing orders and payees added in the last 48 hours; recall suspicious "
            "transfers (priority recall).",
            "Block cards if card data was disclosed.",
            "Order new access data by post; explain re-registration.",
            "Log the contact with outcome *escalated* and inform the fraud team by the case queue.",
        ),
        steps_title="Emergency steps",
    ),
    ArticleSpec(
        "KB-013",
        "Charged twice or refund missing",
        "Payments / Disputes and refunds",
        "public",
        "Hotels, petrol stations and rental firms often reserve an amount first; the reservation "
        "disappears within 7 days.",
        (
            "Check whether one entry is marked *reserved* - it will drop off by itself.",
            "If you were really charged twice, contact the merchant first; they can refund directly.",
            "If the merchant doesn't react within 15 days, we can dispute the payment for you.",
        ),
        ("Refunds from merchants take 3-10 working days to show.",),
    ),
    ArticleSpec(
        "KB-014",
        "Our account fees explained",
        "Fees and charges / Account and card fees",
        "public",
        "What our current accounts cost and how to pay less.",
        (
            "**Classic current account**: EUR 5.95 a month, girocard included, online statements free.",
            "**Premium current account**: EUR 12.95 a month with the Gold card, travel insurance and free "
            "cash withdrawals worldwide.",
            "Paper statements cost EUR 1.50 each; switch to the online postbox to avoid this.",
            "Cash withdrawals at other banks' ATMs in Germany cost what that bank charges; use our ATMs "
            "or cash back at supermarkets for free.",
        ),
        ("Customers under 27 in training or studying pay no account fee.",),
        steps_title="Fees at a glance",
    ),
    ArticleSpec(
        "KB-015",
        "Handling fee complaints and goodwill refunds",
        "Fees and charges / Account and card fees",
        "internal",
        "Fee complaints are the most frequent complaint and a strong sign that a customer may leave. "
        "Listen, explain, and use goodwill wisely.",
        (
            "Explain the fee and when it was announced (price notice two months ahead).",
            "Check whether a cheaper model fits (Premium to Classic; online statements).",
            "Agents may refund one fee per customer per year up to EUR 25 as goodwill; more needs a team "
            "lead.",
            "If the customer mentions leaving, record it and pass the case to the relationship manager "
            "or retention queue.",
        ),
        (
            "Log category *Fees and charges*; the complaint report shows fee complaints per product.",
        ),
        steps_title="How to handle it",
    ),
    ArticleSpec(
        "KB-016",
        "How long does a transfer take?",
        "Payments / Transfers",
        "public",
        "SEPA transfers arrive the next working day; instant transfers in seconds.",
        (
            "Transfers placed before 3 pm on a working day leave the same day.",
            "Instant transfers work around the clock up to EUR 100,000 if the recipient's bank takes "
            "part; otherwise the payment is rejected and the money returns to your account.",
            "Transfers outside the euro area take 2-5 working days.",
            "Need proof? Download the payment confirmation in the app.",
        ),
    ),
    ArticleSpec(
        "KB-017",
        "Recalling a transfer (wrong IBAN, duplicate)",
        "Payments / Transfers",
        "internal",
        "A transfer that has left cannot be stopped, but we can ask the recipient's bank to return it.",
        (
            "Check whether the transfer is still pending (future-dated) - then the customer can delete it.",
            "Otherwise start a recall in the payment system with reason *duplicate* or *wrong IBAN*.",
            "Explain: the recipient must agree; there is no guarantee; fee EUR 10 if successful.",
            "If the recall fails, the customer can ask us for the recipient's name and address to claim "
            "the money directly.",
        ),
        steps_title="Procedure",
    ),
    ArticleSpec(
        "KB-018",
        "Direct debits: returns, refunds and blocking a creditor",
        "Payments / Direct debits",
        "public",
        "A direct debit is returned when there is not enough money on the due day. You can also get "
        "back a debit yourself.",
        (
            "Ask for a refund of any direct debit within 8 weeks in the app (**Payments > Direct "
            "debits**).",
            "Block a creditor you no longer want to pay - the block applies to future debits.",
            "If a debit was returned, pay the creditor directly; they may charge a fee.",
        ),
        ("We charge no fee for returned debits, but the creditor may.",),
    ),
    ArticleSpec(
        "KB-019",
        "Standing orders: set up, change, cancel",
        "Payments / Standing orders",
        "public",
        "Manage standing orders in the app; changes made before 8 pm apply to the next execution.",
        (
            "Go to **Payments > Standing orders**.",
            "Choose *New*, or select an order to change the amount, date or end date, or to delete it.",
            "Confirm with your TAN.",
        ),
        (
            "If the balance is too low on the execution day, the order is not carried out that month.",
        ),
    ),
    ArticleSpec(
        "KB-020",
        "Changing your address, name or phone number",
        "Accounts / Personal details",
        "public",
        "Keep your details current so cards, letters and security codes reach you.",
        (
            "Address, e-mail and phone: change them in the app under **Profile > Personal data**.",
            "Name change (marriage, divorce): upload the certificate and your new ID document.",
            "Moved abroad? Tell us - some products can't be kept outside the EU.",
        ),
        ("We send a confirmation letter to the new address.",),
    ),
    ArticleSpec(
        "KB-021",
        "Login problems in online banking and the app",
        "Online banking / Login and app",
        "public",
        "Most login problems are solved in a few minutes.",
        (
            "Check our service status page - is there a known outage?",
            "Update the app, or delete it and install it again.",
            "Forgot the password? Use *Forgot password* on the login page; you confirm with your ID.",
            "Locked after three wrong attempts? Call us - we unlock your access after identification.",
            "New phone? You need to register it once; the activation letter arrives in 3-5 days.",
        ),
        ("Online banking works in current versions of Chrome, Firefox, Safari and Edge.",),
    ),
    ArticleSpec(
        "KB-022",
        "Moving pushTAN to a new phone",
        "Online banking / TAN and new devices",
        "public",
        "Your TAN app is tied to your phone. Move it before you reset the old phone if you can.",
        (
            "Old phone still working: in the TAN app choose **Settings > Move to new device** and follow "
            "the steps.",
            "Old phone lost or reset: order an activation letter in online banking or by phone.",
            "No smartphone? Order a chipTAN generator (EUR 12.90).",
        ),
        ("Phone stolen? Call us to block the TAN procedure at once.",),
    ),
    ArticleSpec(
        "KB-023",
        "Mortgage follow-up financing and forward loans",
        "Mortgages / Rates and follow-up financing",
        "public",
        "When your fixed rate ends, you can extend with us, switch banks, or repay. Start looking 12 "
        "months ahead.",
        (
            "We write to you 6 months before the end of the fixed rate with an offer.",
            "Want certainty earlier? A forward loan fixes today's rate up to 5 years ahead for a small "
            "premium.",
            "Book a mortgage appointment in your branch or by phone to compare options.",
        ),
        ("Extending with us needs no new land-register entry, which saves notary costs.",),
    ),
    ArticleSpec(
        "KB-024",
        "Special repayments on your mortgage",
        "Mortgages / Special repayments",
        "public",
        "You may repay up to 5 % of the original loan amount each calendar year without a fee.",
        (
            "Transfer the amount to your loan account with reference *Sondertilgung*.",
            "The monthly rate stays the same; the loan is repaid sooner.",
            "Want to change the repayment rate instead? Ask us for a contract amendment.",
        ),
    ),
    ArticleSpec(
        "KB-025",
        "Personal and car loans: how to apply",
        "Loans / Personal and car loans",
        "public",
        "Borrow EUR 2,500 to EUR 60,000 for 12 to 84 months; car loans can include a balloon payment.",
        (
            "Calculate your rate in the loan calculator on our website or in the app.",
            "Apply online; upload your last two payslips and, if self-employed, your last tax assessment.",
            "You get a decision within two working days; the money is paid out after you sign.",
        ),
        ("A declined application is usually due to income, existing loans or the credit score.",),
    ),
    ArticleSpec(
        "KB-026",
        "Repaying a loan early",
        "Loans / Early repayment",
        "public",
        "You can repay your loan in full or in part at any time.",
        (
            "Ask for a payoff quote in the app or by phone; it is valid for 10 days.",
            "Transfer the amount; we close the loan and stop the monthly rate.",
        ),
        ("The early repayment fee is at most 1 % of the amount repaid (0.5 % in the last year).",),
    ),
    ArticleSpec(
        "KB-027",
        "Customers in payment difficulties: what we can offer",
        "Loans / Payment difficulties",
        "internal",
        "Customers who tell us early about payment problems are far more likely to repay. Be "
        "respectful and practical.",
        (
            "Ask about the cause and the expected duration (job loss, illness, separation).",
            "Options: payment holiday of up to 3 months, lower rate with longer term, or payment plan "
            "for arrears.",
            "Record the agreement and pass it to loan servicing; collections is the last step.",
        ),
        ("Never promise a specific solution before loan servicing has agreed.",),
        steps_title="How to help",
    ),
    ArticleSpec(
        "KB-028",
        "Savings rates and when interest is paid",
        "Savings / Interest rates",
        "public",
        "Instant-access savings pay a variable rate; interest is credited at the end of each year.",
        (
            "See the current rate in the app under **Savings**.",
            "For a higher fixed rate, consider a fixed-term deposit (from EUR 5,000).",
            "To avoid tax on interest, set up a tax exemption order.",
        ),
        ("Rate changes are announced in your online postbox.",),
    ),
    ArticleSpec(
        "KB-029",
        "Retention offers for savers: what agents may offer",
        "Savings / Interest rates",
        "internal",
        "Large outflows from savings and rate complaints are early signs of a customer leaving.",
        (
            "Acknowledge the competitor offer; don't argue about it.",
            "Offer the current fixed-term rate and, for balances over EUR 25,000, a relationship-manager "
            "appointment.",
            "A retention rate (up to 0.5 points for 6 months) needs team-lead approval in the case.",
            "Log the outcome so the churn model learns from it.",
        ),
        steps_title="What you can offer",
    ),
    ArticleSpec(
        "KB-030",
        "Fixed-term deposits: maturity and renewal",
        "Savings / Fixed-term deposits",
        "public",
        "Fixed-term deposits run 6, 12 or 24 months at a fixed rate.",
        (
            "At maturity, the money and interest go to your current account unless you renew.",
            "Renew in the app up to two days before maturity.",
            "Early withdrawal is not possible; ask us about alternatives if you need money.",
        ),
    ),
    ArticleSpec(
        "KB-031",
        "Tax exemption orders and tax certificates",
        "Savings / Tax exemption order",
        "public",
        "Up to EUR 1,000 of investment income a year (EUR 2,000 for couples) is tax-free if you give us "
        "an exemption order.",
        (
            "Set up or change the order in the app under **Profile > Tax**.",
            "Split the amount between banks as you like; the total must not exceed the allowance.",
            "Your annual tax certificate is in the online postbox each February.",
        ),
    ),
    ArticleSpec(
        "KB-032",
        "Overdraft: limits, interest and alternatives",
        "Accounts / Overdraft",
        "public",
        "An arranged overdraft gives you flexibility, but it is an expensive way to borrow for long.",
        (
            "See your overdraft limit and interest rate in the app.",
            "Apply for a higher limit in the app; the decision is immediate.",
            "Using the overdraft for months? An instalment loan is usually much cheaper.",
        ),
        ("We remind you by SMS when you have used the overdraft for three months.",),
    ),
    ArticleSpec(
        "KB-033",
        "Handling complaints: the five steps",
        "Complaints / Staff and service",
        "internal",
        "Every complaint is a chance to keep a customer and to learn. Handle it the same way on every "
        "channel.",
        (
            "**Listen** and thank the customer; don't defend or blame colleagues.",
            "**Record** it as a complaint case with category and product - even when you solve it at once.",
            "**Resolve** what you can now; promise only what you can keep and give a date.",
            "**Answer** in writing within 5 working days for letters and e-mails.",
            "**Learn**: choose the root cause, so product managers see it in the complaint report.",
        ),
        ("Complaints about staff go to the team lead of that person, never to the person alone.",),
        steps_title="The five steps",
    ),
    ArticleSpec(
        "KB-034",
        "Long waiting times: callback service and other ways to reach us",
        "Complaints / Waiting times and reachability",
        "public",
        "Our lines are busiest on Monday mornings and at the start of each month.",
        (
            "Ask for a callback in the app - we call you at the time you choose.",
            "Use the chat for quick questions; it is staffed 8 am to 8 pm.",
            "Block a card or online banking any time in the app - no need to wait on the line.",
        ),
    ),
    ArticleSpec(
        "KB-035",
        "Closing an account",
        "Accounts / Closing an account",
        "public",
        "You can close an account at any time, free of charge.",
        (
            "Send us the closure request in the app, by letter or in a branch.",
            "Name the account for the remaining balance.",
            "Cancel or move standing orders and direct debits; our account switching service helps.",
            "Destroy the cards that belong to the account.",
        ),
        ("Accounts with an open overdraft or loan can only be closed after repayment.",),
    ),
    ArticleSpec(
        "KB-036",
        "Closure requests and switching: retention checklist",
        "Accounts / Switching banks",
        "internal",
        "A closure request is not the end of the relationship. Find the reason and make one "
        "fitting offer.",
        (
            "Ask for the reason: fees, service, interest rate, moving, life event.",
            "Check the customer's value and history on the profile (complaints, outflows, products).",
            "Make one offer that answers the reason (cheaper account model, fee waiver, savings rate, RM "
            "appointment).",
            "If the customer still wants to go, make it easy - a good exit brings customers back.",
            "Record reason and outcome on the case; the relationship manager is informed automatically.",
        ),
        steps_title="Checklist",
    ),
    ArticleSpec(
        "KB-037",
        "Opening an account, joint and youth accounts",
        "Accounts / Opening an account",
        "public",
        "Open an account online in 10 minutes or in any branch.",
        (
            "Online: fill in the form and confirm your identity by video or in a branch.",
            "Joint accounts: both holders identify themselves.",
            "Youth accounts (7-17): both parents sign; bring the birth certificate.",
        ),
        ("Video identification needs a valid ID card or passport and good light.",),
    ),
    ArticleSpec(
        "KB-038",
        "Statements, balance confirmations and certificates",
        "Accounts / Statements and certificates",
        "public",
        "Statements from the last 10 years are in your online postbox.",
        (
            "Download statements under **Postbox > Archive**.",
            "Balance confirmations (e.g. for a visa) can be ordered in the app; EUR 15, in English or "
            "German.",
            "Confirmation that a loan was repaid is free; ask us by message.",
        ),
    ),
    ArticleSpec(
        "KB-039",
        "Investment advice and fund savings plans",
        "Investments / Advice and fund savings plans",
        "public",
        "Start a fund savings plan from EUR 25 a month, or book advice for larger amounts.",
        (
            "Book an advice appointment in the app, in your branch or by phone.",
            "We record your goals, horizon and risk tolerance in a short profile.",
            "You get a written recommendation with all costs before you decide.",
        ),
        ("Past performance is no guide to the future; funds can lose value.",),
    ),
    ArticleSpec(
        "KB-040",
        "Private pension plan: allowances and pausing contributions",
        "Pensions / Private pension plan",
        "public",
        "The state adds allowances to your plan when you pay at least 4 % of last year's income.",
        (
            "Allowances for a year are credited in the following year, usually by autumn.",
            "You can pause contributions; you keep what you have saved.",
            "Moving abroad may require repaying allowances - talk to us first.",
        ),
    ),
    ArticleSpec(
        "KB-041",
        "Making a home contents insurance claim",
        "Insurance / Claims",
        "public",
        "Report a claim as soon as possible; our partner insurer handles it.",
        (
            "Limit the damage (e.g. turn off the water) and take photos.",
            "For burglary, report to the police and keep the reference number.",
            "Send the claim form with photos and receipts in the app or to your branch.",
        ),
        ("Claims are usually settled within 4 weeks once all documents are in.",),
    ),
    ArticleSpec(
        "KB-042",
        "ATM kept my card or gave the wrong amount",
        "Cash and ATMs / ATM problems",
        "public",
        "If an ATM keeps your card or pays out too little, tell us the same day.",
        (
            "Retained cards are destroyed for security; we send you a new one.",
            "Too little or no cash: tell us the ATM, time and amount. The ATM is balanced within 5 "
            "working days and any difference is credited.",
            "Cash deposit not credited: keep the receipt and call us.",
        ),
    ),
    ArticleSpec(
        "KB-043",
        "Bereavement: what relatives need to do",
        "Accounts / Bereavement and power of attorney",
        "public",
        "We are sorry for your loss. We help you settle the accounts step by step.",
        (
            "Send us a copy of the death certificate; we protect the accounts.",
            "Holders of a power of attorney valid beyond death can act at once.",
            "Otherwise heirs show a certificate of inheritance or a notarised will.",
            "Funeral costs can be paid from the account on presentation of the invoice.",
        ),
    ),
    ArticleSpec(
        "KB-044",
        "Business accounts: cards, signatories, accounting export",
        "Business banking / Business accounts",
        "public",
        "Everything small firms ask about their business account.",
        (
            "Additional cards for employees: order in business online banking, EUR 2 a month each.",
            "Add a signatory: send the signed form and a copy of their ID.",
            "Export bookings to your tax adviser (DATEV) under **Settings > Export**; renew the "
            "certificate yearly.",
            "Payroll files: check your daily limit before uploading.",
        ),
    ),
    ArticleSpec(
        "KB-045",
        "Business loans and KfW programmes",
        "Business banking / Business loans",
        "public",
        "We finance investments and working capital, and apply for public KfW loans for you.",
        (
            "Talk to your relationship manager about the plan and amount.",
            "Prepare the last two annual accounts and a current business assessment (BWA).",
            "KfW loans are applied for through us; approval takes 2-4 weeks.",
        ),
    ),
    ArticleSpec(
        "KB-046",
        "Collecting and forwarding customer ideas",
        "Ideas / Online banking and app",
        "internal",
        "Customers' ideas improve our products. Every idea deserves a record.",
        (
            "Thank the customer and record the idea as a case of kind *idea*.",
            "Describe the idea in the customer's words and add the product.",
            "Tell the customer we forward it to the product team; no promise of a date.",
        ),
        steps_title="How to record an idea",
    ),
)
