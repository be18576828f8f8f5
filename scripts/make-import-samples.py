#!/usr/bin/env python3
"""Writes the demo's statistics files (crates/qep/demo/imports/), shaped like the exports
prefectures receive: a telephony switch's call log in Windows-1252 with `;` and French
dates, monthly telephony statistics (tab-separated UTF-8 with BOM), the ministry's title
and residence-permit delays, fraud counts, web analytics and social network figures.

Deterministic: the same files every run. Usage: python3 scripts/make-import-samples.py
"""
import datetime as dt
import os
import random

OUT = os.path.join(os.path.dirname(__file__), "..", "crates", "qep", "demo", "imports")
rng = random.Random(61)

# Public holidays of the period (metropolitan France).
HOLIDAYS = {dt.date(2021, 1, 1), dt.date(2021, 4, 5), dt.date(2021, 5, 1), dt.date(2021, 5, 8),
            dt.date(2021, 5, 13), dt.date(2021, 5, 24), dt.date(2021, 7, 14),
            dt.date(2021, 8, 15), dt.date(2021, 11, 1), dt.date(2021, 11, 11),
            dt.date(2021, 12, 25), dt.date(2022, 1, 1)}
# January 2021 to March 2022: a full year, and the quarter the poster shows.
MONTHS = [(2021, m) for m in range(1, 13)] + [(2022, m) for m in range(1, 4)]


def working_days(start, end):
    d = start
    while d <= end:
        if d.weekday() < 5 and d not in HOLIDAYS:
            yield d
        d += dt.timedelta(days=1)


MONTHS_FR = ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.",
             "oct.", "nov.", "déc."]


def write(name, text, encoding="utf-8"):
    with open(os.path.join(OUT, name), "w", encoding=encoding, newline="") as f:
        f.write(text)


def call_log():
    # Export of the switch: one row per call, from 1 January 2021 to 31 March 2022.
    rows = ["Début appel;Groupe d'appel;N° appelant;Issue;Nb sonneries;Attente (s)"]
    lines = [("Standard", 60, 0.93), ("Étrangers – séjour", 28, 0.71), ("Cartes grises", 8, 0.86)]
    for day in working_days(dt.date(2021, 1, 1), dt.date(2022, 3, 31)):
        for line, per_day, answer_rate in lines:
            for _ in range(rng.randint(per_day * 8 // 10, per_day * 12 // 10)):
                t = dt.datetime.combine(day, dt.time(8, 30)) + dt.timedelta(
                    seconds=rng.randint(0, 8 * 3600))
                answered = rng.random() < answer_rate
                rings = rng.randint(1, 4) if rng.random() < 0.8 else rng.randint(5, 9)
                issue = "Décroché" if answered else rng.choice(["Perdu", "Abandonné", "Débordement"])
                wait = rings * 5 if answered else rng.randint(10, 120)
                # The caller's number is masked by the switch: QeP never reads it.
                rows.append(f"{t:%d/%m/%Y %H:%M:%S};{line};0{rng.randint(1, 7)}XXXXXX{rng.randint(10, 99)};"
                            f"{issue};{rings if answered else ''};{wait}")
    write("appels-autocom-2021-2022T1.csv", "\r\n".join(rows) + "\r\n", "cp1252")


def telephony():
    # Monthly statistics of the sub-prefectures' lines (another switch), tab-separated.
    rows = ["Mois\tLigne\tAppels présentés\tAppels décrochés\tAppels perdus"]
    for month in [f"{y}-{m:02d}" for y, m in MONTHS]:
        for line in ["Sous-préfecture d'Argentan", "Sous-préfecture de Mortagne"]:
            presented = rng.randint(700, 900)
            answered = int(presented * rng.uniform(0.86, 0.95))
            rows.append(f"{month}\t{line}\t{presented}\t{answered}\t{presented - answered}")
    write("telephonie-sous-prefectures.tsv", "\ufeff" + "\n".join(rows) + "\n")


def fr(v, digits=1):
    return f"{v:.{digits}f}".replace(".", ",")


def titles():
    rows = ["Mois;Titre;Délai moyen (jours);Nombre de dossiers"]
    for y, m in MONTHS:
        label = f"{MONTHS_FR[m - 1]}-{y % 100}"
        files = f"{rng.randint(1100, 1500):,}".replace(",", " ")
        rows.append(f"{label};CNI;{fr(rng.uniform(11, 19))};{files}")
        rows.append(f"{label};Passeport;{fr(rng.uniform(12, 22))};{rng.randint(600, 900)}")
        rows.append(f"{label};Traitement CNI-passeports;{fr(rng.uniform(6, 10))};{rng.randint(1700, 2300)}")
    for q, y in [(1, 2021), (2, 2021), (3, 2021), (4, 2021), (1, 2022)]:
        rows.append(f"T{q} {y};Permis de conduire;{fr(rng.uniform(9, 16))};{rng.randint(2500, 3500)}")
        rows.append(f"T{q} {y};Certificat d'immatriculation;{fr(rng.uniform(3, 7))};{rng.randint(9000, 12000)}")
    write("delais-titres-2021-2022T1.csv", "\r\n".join(rows) + "\r\n", "cp1252")


def foreigners():
    rows = ["Période;Type de demande;Délai moyen;Dossiers"]
    for month in [f"{m:02d}/{y}" for y, m in MONTHS]:
        rows.append(f"{month};Première demande;{fr(rng.uniform(70, 110))};{rng.randint(40, 80)}")
        rows.append(f"{month};Renouvellement;{fr(rng.uniform(20, 40))};{rng.randint(150, 260)}")
    write("delais-titres-sejour-2021-2022T1.csv", "\r\n".join(rows) + "\r\n", "cp1252")


def fraud():
    rows = ["Mois;Domaine;Fraudes détectées;Dossiers traités"]
    for month in [f"{y}-{m:02d}" for y, m in MONTHS]:
        rows.append(f"{month};CNI-passeports;{rng.randint(0, 3)};{rng.randint(1700, 2300)}")
        rows.append(f"{month};Étrangers;{rng.randint(0, 2)};{rng.randint(190, 330)}")
    write("fraude-2021-2022T1.csv", "\r\n".join(rows) + "\r\n", "cp1252")


def web():
    rows = ["Mois,Visiteurs uniques,Pages vues,Population INSEE"]
    for month in [f"{y}-{m:02d}" for y, m in MONTHS]:
        rows.append(f"{month},{rng.randint(12000, 17000)},{rng.randint(60000, 90000)},279942")
    write("site-internet-2021-2022T1.csv", "\n".join(rows) + "\n")


def social():
    rows = ["Mois;Réseau;Connexions;Impressions;Interactions"]
    for month in [f"{y}-{m:02d}" for y, m in MONTHS]:
        for network in ["Facebook", "X (Twitter)"]:
            impressions = rng.randint(40000, 120000)
            rows.append(f"{month};{network};{rng.randint(3000, 9000)};{impressions};"
                        f"{int(impressions * rng.uniform(0.01, 0.035))}")
    write("reseaux-sociaux-2021-2022T1.csv", "\r\n".join(rows) + "\r\n")


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    for f in [call_log, telephony, titles, foreigners, fraud, web, social]:
        f()
