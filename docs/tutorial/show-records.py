import json, sys, codecs
r = json.load(open(sys.argv[1]))
block = next(p for p in r["programs"] if p["name"] == "read first data block")
data = bytes.fromhex(block["data"][0]["data_hex"])
text = codecs.decode(data, "cp037")
for i in range(0, min(len(text), 160 * 4), 160):
    print(text[i:i + 160].rstrip())
