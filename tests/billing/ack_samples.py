"""Hand-made 999, 277CA and 271 files the way a clearinghouse or payer writes them (each checked by pyx12
where it has a map), for the acknowledgment, eligibility and clearinghouse tests.

Imported by the billing test modules (pytest puts this folder on ``sys.path``).
"""
from __future__ import annotations


def interchange(functional_id: str, version: str, body: list[str], control: int = 555) -> str:
    """One interchange (from the clearinghouse to the practice) around one transaction's segments; SE is counted."""
    st = body[0].split("*")
    segments = [*body, f"SE*{len(body) + 1}*{st[2]}"]
    isa = (f"ISA*00*          *00*          *ZZ*{'CLEARHOUSE':<15}*ZZ*{'PRACTICE01':<15}*261203*1200*^*00501*"
           f"{control:09d}*0*T*:")
    assert len(isa) + 1 == 106
    return "~\n".join([isa, f"GS*{functional_id}*CLEARHOUSE*PRACTICE01*20261203*1200*{control}*X*{version}",
                       *segments, f"GE*1*{control}", f"IEA*1*{control:09d}"]) + "~\n"


def ack_999(group: int, status: str = "A", errors: bool = False, functional_id: str = "HC",
            version: str = "005010X222A1", control: int = 555) -> str:
    """A 999 about our group ``group`` (transaction ``group`` too); ``errors`` adds a segment and element error."""
    body = ["ST*999*0001*005010X231A1", f"AK1*{functional_id}*{group}*{version}",
            f"AK2*{'837' if functional_id == 'HC' else '270'}*{group:04d}*{version}"]
    if errors:
        body += ["IK3*NM1*8*2010*8", "IK4*9*67*1"]
    body += [f"IK5*{status}" + ("*5" if errors else ""), f"AK9*{status}*1*1*{0 if status == 'R' else 1}"]
    return interchange("FA", "005010X231A1", body, control)


def ack_277(answers: list[tuple[str, str, str, str]], control: int = 556) -> str:
    """A 277CA answering claims: (claim number, STC01 composite, STC03 action, payer claim number)."""
    body = ["ST*277*0001*005010X214", "BHT*0085*08*BATCH77*20261203*1200*TH",
            "HL*1**20*1", "NM1*PR*2*ACME HEALTH*****PI*ACME1", "TRN*1*PAYERTRACE1", "DTP*050*D8*20261203",
            "DTP*009*D8*20261203",
            "HL*2*1*21*1", "NM1*41*2*TEST CLINIC*****46*PRACTICE01", "TRN*2*BATCH77",
            "STC*A1:19:PR*20261203*WQ*120", "QTY*90*1", "QTY*AA*1", "AMT*YU*120", "AMT*YY*120",
            "HL*3*2*19*1", "NM1*85*2*TEST CLINIC*****XX*1234567893", "TRN*1*0",
            "STC*A1:19:85**WQ*120"]
    number = 4
    for claim_number, composite, action, payer_number in answers:
        body += [f"HL*{number}*3*PT", "NM1*QC*1*DIAZ*ROSA****MI*M123456", f"TRN*2*{claim_number}",
                 f"STC*{composite}*20261203*{action}*120"]
        if payer_number:
            body.append(f"REF*1K*{payer_number}")
        body.append("DTP*472*D8*20261130")
        number += 1
    return interchange("HN", "005010X214", body, control)


def answer_271(trace: str, member_id: str = "M123456", active: bool = True, control: int = 557) -> str:
    """A 271 answering our inquiry ``trace``: active (or inactive) coverage with copay, coinsurance,
    deductible and out-of-pocket, or, with ``active`` None, a rejection (subscriber not found)."""
    body = ["ST*271*0001*005010X279A1", "BHT*0022*11*0001*20261203*1200",
            "HL*1**20*1", "NM1*PR*2*ACME HEALTH*****PI*ACME1",
            "HL*2*1*21*1", "NM1*1P*2*TEST CLINIC*****XX*1234567893",
            "HL*3*2*22*0", f"TRN*2*{trace}*1123456789", f"NM1*IL*1*DIAZ*ROSA****MI*{member_id}",
            "DMG*D8*19700506*F"]
    if active is None:
        body.append("AAA*Y**75*C")
    else:
        body += ["DTP*346*D8*20260101", "DTP*347*D8*20261231"]
        if active:
            body += ["EB*1*IND*30**GOLD PPO 500", "EB*B*IND*98***27*25*****Y", "EB*A*IND*98*****.2****Y",
                     "EB*C*IND*30***23*1500*****Y", "EB*C*IND*30***29*400*****Y", "EB*G*IND*30***23*5000*****Y",
                     "EB*G*IND*30***29*3250*****Y", "MSG*AMOUNTS IN NETWORK"]
        else:
            body += ["EB*6*IND*30**GOLD PPO 500"]
    return interchange("HB", "005010X279A1", body, control)
