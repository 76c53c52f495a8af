"""Time the emulator core answering full pages from a large company.

Run: python bench/emulator_page.py [employees] [projects] [tasks_per_project]
Prints the median time to answer one request (handle() only: parse, filter, write XML).
"""

from __future__ import annotations

import statistics
import sys
import time

from intacct_sdk.testing import DEMO_CREDENTIALS, Company, Emulator


def build(employees: int, projects: int, tasks_per_project: int) -> Company:
    c = Company()
    c.bulk_insert(
        "DEPARTMENT", ({"DEPARTMENTID": f"D{i}", "TITLE": f"Dept {i}"} for i in range(10))
    )
    c.bulk_insert(
        "EMPLOYEE",
        (
            {
                "EMPLOYEEID": f"E{i:05d}",
                "PERSONALINFO": {
                    "CONTACTNAME": f"Last{i}, First{i}",
                    "FIRSTNAME": f"First{i}",
                    "LASTNAME": f"Last{i}",
                    "EMAIL1": f"e{i}@example.test",
                },
                "DEPARTMENTID": f"D{i % 10}",
                "STATUS": "inactive" if i % 17 == 0 else "active",
            }
            for i in range(employees)
        ),
    )
    c.bulk_insert(
        "PROJECT",
        (
            {"PROJECTID": f"P{i:04d}", "NAME": f"Project {i}", "PROJECTCATEGORY": "Contract"}
            for i in range(projects)
        ),
    )
    c.bulk_insert(
        "TASK",
        (
            {"TASKID": f"T{j}", "NAME": f"Task {j}", "PROJECTID": f"P{i:04d}"}
            for i in range(projects)
            for j in range(tasks_per_project)
        ),
    )
    return c


def envelope(function: str) -> bytes:
    d = DEMO_CREDENTIALS
    return (
        f"<request><control><senderid>{d.sender_id}</senderid><password>{d.sender_password}</password>"
        "<controlid>b</controlid><uniqueid>false</uniqueid><dtdversion>3.0</dtdversion></control>"
        f"<operation><authentication><login><userid>{d.user_id}</userid><companyid>{d.company_id}</companyid>"
        f"<password>{d.user_password}</password></login></authentication>"
        f'<content><function controlid="f">{function}</function></content></operation></request>'
    ).encode()


def timed(emu: Emulator, body: bytes, runs: int = 7) -> tuple[float, int]:
    times = []
    size = 0
    for _ in range(runs):
        t0 = time.perf_counter()
        resp = emu.handle(body)
        times.append(time.perf_counter() - t0)
        size = len(resp.body)
    return statistics.median(times), size


def main() -> None:
    employees, projects, per = (int(a) for a in (sys.argv[1:4] or ["10000", "2000", "10"]))
    t0 = time.perf_counter()
    company = build(employees, projects, per)
    print(
        f"built {employees} employees, {projects} projects, {projects * per} tasks "
        f"in {time.perf_counter() - t0:.2f}s"
    )
    emu = Emulator(company)
    cases = {
        "query EMPLOYEE page of 2000 (5 fields, STATUS filter)": (
            "<query><object>EMPLOYEE</object><select><field>RECORDNO</field><field>EMPLOYEEID</field>"
            "<field>PERSONALINFO.FIRSTNAME</field><field>PERSONALINFO.LASTNAME</field><field>WHENMODIFIED</field>"
            "</select><filter><equalto><field>STATUS</field><value>active</value></equalto></filter>"
            "<orderby><order><field>RECORDNO</field><ascending/></order></orderby>"
            "<pagesize>2000</pagesize><offset>4000</offset></query>"
        ),
        "query TASK page of 2000 (4 fields, ordered by TASKID)": (
            "<query><object>TASK</object><select><field>RECORDNO</field><field>TASKID</field>"
            "<field>PROJECTID</field><field>NAME</field></select>"
            "<orderby><order><field>TASKID</field></order></orderby><pagesize>2000</pagesize></query>"
        ),
        "readByQuery EMPLOYEE page of 1000 (fields *)": (
            "<readByQuery><object>EMPLOYEE</object><fields>*</fields><query>STATUS = 'T'</query>"
            "<pagesize>1000</pagesize></readByQuery>"
        ),
    }
    for name, fn in cases.items():
        median, size = timed(emu, envelope(fn))
        print(f"{name}: median {median * 1000:.1f} ms, {size / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
