"""The fields of CodeCarbon's EmissionsData, in order, read from its wheel's source (no import, no
dependencies): what a row of its emissions.csv holds. Usage: python3 codecarbon_fields.py WHEEL"""
import ast
import json
import sys
import zipfile

with zipfile.ZipFile(sys.argv[1]) as wheel:
    source = wheel.read("codecarbon/output_methods/emissions_data.py").decode()
for node in ast.parse(source).body:
    if isinstance(node, ast.ClassDef) and node.name == "EmissionsData":
        fields = [item.target.id for item in node.body if isinstance(item, ast.AnnAssign)]
        json.dump(fields, sys.stdout)
        break
